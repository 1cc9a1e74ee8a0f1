"""The two ways a stage can fail, mapped to the stage contract's exit codes."""


class PipelineError(Exception):
    """Base of the errors the CLI turns into one line and an exit code."""

    exit_code = 1


class StageFailed(PipelineError):
    """The stage ran and found a failure (lint errors, failed tests, an unhealthy deploy)."""

    exit_code = 1


class InputError(PipelineError):
    """The input was wrong (bad config, malformed version, unknown environment): nothing ran."""

    exit_code = 2
