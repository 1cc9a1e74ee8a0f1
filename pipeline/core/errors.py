"""How a command can fail, mapped to the stage contract's exit codes, and the one classifier.

A missing optional dependency is bad input, not a failure: the command says in one line which
setup.cfg extra brings it (``pip install 'pipeline[deploy]'``) and exits 2.
"""
import importlib.util

# Which extra of setup.cfg brings each optional top-level module the pipeline uses.
EXTRA_OF_MODULE = {"docker": "deploy", "ansible": "deploy", "jenkins": "jenkins"}


class PipelineError(Exception):
    """Base of the errors the CLI turns into one line and an exit code."""

    exit_code = 1


class StageFailed(PipelineError):
    """The stage ran and found a failure (lint errors, failed tests, an unhealthy deploy)."""

    exit_code = 1


class InputError(PipelineError):
    """The input was wrong (bad config, malformed version, unknown environment): nothing ran."""

    exit_code = 2


class MissingExtra(InputError):
    """An optional dependency is not installed: which extra brings it."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(f"this command needs the '{extra}' extra (no module named {module!r}): "
                         f"pip install 'pipeline[{extra}]'")


def require_extra(extra: str) -> None:
    """Refuse, before anything runs, when a module of ``extra`` is not installed."""
    for module, provider in EXTRA_OF_MODULE.items():
        if provider == extra and importlib.util.find_spec(module) is None:
            raise MissingExtra(module, extra)


def missing_module(name: str) -> InputError:
    """The error for a module that cannot be imported: which extra brings it, if one does."""
    top = name.partition(".")[0]
    extra = EXTRA_OF_MODULE.get(top)
    if extra is not None:
        return MissingExtra(top, extra)
    return InputError(f"no module named {top!r}: reinstall pipeline")


def as_pipeline_error(error: Exception) -> PipelineError:
    """Any exception as the contract sees it; a crash of a stage is that stage's failure."""
    if isinstance(error, PipelineError):
        return error
    if isinstance(error, ModuleNotFoundError) and error.name is not None \
            and error.name.partition(".")[0] in EXTRA_OF_MODULE:
        return missing_module(error.name)
    return StageFailed(f"{type(error).__name__}: {error}")
