"""The stages by name: what ``pipeline run`` plays and what Jenkins calls one by one.

A leaf, as nox's registry is: each stage module registers its stage here when imported, and
this module imports none of them (the runner does, see ``pipeline.runner.load_stages``).
"""
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.config import Config
from pipeline.core.errors import InputError

_STAGES: dict[str, "Stage"] = {}


@dataclass(frozen=True)
class Stage:
    """A stage: its name, what it does, how to run it with its default arguments.

    ``artifacts`` gives the paths it leaves (recorded when present): under the configured
    ``reports_dir`` or ``version_file``, so they are known only with the configuration;
    ``extra`` names the setup.cfg extra whose packages it needs (``None``: the base install);
    ``description`` is its command's ``--help`` text (default: ``summary``).
    """

    name: str
    summary: str
    run: Callable[[Config], None]
    artifacts: Callable[[Config], tuple[Path, ...]] = lambda config: ()
    extra: str | None = None
    description: str = ""


def register(stage: Stage) -> Stage:
    """Add ``stage``; two stages with one name is a programming error, caught at import."""
    if _STAGES.get(stage.name, stage) is not stage:
        raise ValueError(f"two stages are named {stage.name!r}")
    _STAGES[stage.name] = stage
    return stage


def registered() -> dict[str, Stage]:
    """Every stage registered so far, by name, in registration order."""
    return dict(_STAGES)


def resolve(names: tuple[str, ...]) -> list[Stage]:
    """The stages named, in the order given; an unknown name, or none, is an input error."""
    if not names:
        raise InputError(f"no stage named (known: {', '.join(_STAGES)})")
    unknown = [name for name in names if name not in _STAGES]
    if unknown:
        raise InputError(f"unknown stage {', '.join(unknown)} (known: {', '.join(_STAGES)})")
    return [_STAGES[name] for name in names]
