"""The stages by name: what ``pipeline run`` plays and what Jenkins calls one by one."""
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.core.config import Config
from pipeline.core.errors import InputError


@dataclass(frozen=True)
class Stage:
    """A stage's name, what it leaves in the workspace, and its call with default arguments."""

    name: str
    summary: str
    artifacts: tuple[str, ...]
    run: Callable[[Config], None]


def registry() -> dict[str, Stage]:
    """Every known stage. Imported here, not at module level: each stage module imports this one."""
    from pipeline.core import version
    from pipeline.ship import deploy, images, push
    from pipeline.stages import lint, test, typecheck

    known = (lint.STAGE, typecheck.STAGE, test.STAGE, version.STAGE, images.STAGE,
             push.STAGE, deploy.STAGE)
    return {stage.name: stage for stage in known}


def resolve(names: tuple[str, ...]) -> list[Stage]:
    """The stages named, in the order given; an unknown name is an input error."""
    known = registry()
    unknown = [name for name in names if name not in known]
    if unknown:
        raise InputError(f"unknown stage {', '.join(unknown)} (known: {', '.join(known)})")
    return [known[name] for name in names]
