"""``pipeline run``: the stages in Jenkins' order, on any machine, with a summary at the end."""
import sys
import time
from dataclasses import dataclass
from typing import TextIO

from pipeline.core import reports
from pipeline.core.config import Config
from pipeline.core.errors import PipelineError, StageFailed
from pipeline.stages.registry import Stage, resolve


@dataclass(frozen=True)
class Outcome:
    """How one stage of a run ended."""

    name: str
    status: str
    seconds: float
    exit_code: int = 0


def run_pipeline(config: Config, names: tuple[str, ...] | None = None,
                 keep_going: bool = False, out: TextIO | None = None) -> list[Outcome]:
    """Play the stages in order; stop at the first failure unless ``keep_going``.

    Raises the first failure after the summary is printed, so the exit code follows the
    stage contract (1 a stage failed, 2 an input was wrong).
    """
    stream = sys.stdout if out is None else out
    stages = resolve(names or config.stages)
    reports.reset(config)
    outcomes: list[Outcome] = []
    first_error: PipelineError | None = None
    for index, stage in enumerate(stages, start=1):
        if first_error is not None and not keep_going:
            outcomes.append(Outcome(stage.name, "skipped", 0.0))
            reports.append(config, reports.StageRecord(name=stage.name, status="skipped"))
            continue
        print(f"\n==> [{index}/{len(stages)}] {stage.name}: {stage.summary}", file=stream,
              flush=True)
        outcome, error = _play(config, stage)
        outcomes.append(outcome)
        if error is not None:
            print(f"pipeline: {stage.name} failed: {error}", file=stream, flush=True)
            first_error = first_error or error
    print(summary_table(outcomes), file=stream, flush=True)
    print(f"stage records: {config.display(reports.pipeline_json(config))}", file=stream)
    if first_error is not None:
        failed = [outcome.name for outcome in outcomes if outcome.status == "failed"]
        raise type(first_error)(f"pipeline failed at {', '.join(failed)}: {first_error}")
    return outcomes


def _play(config: Config, stage: Stage) -> tuple[Outcome, PipelineError | None]:
    started = time.monotonic()
    try:
        with reports.recorded(config, stage.name, stage.artifacts):
            stage.run(config)
    except PipelineError as error:
        return Outcome(stage.name, "failed", time.monotonic() - started, error.exit_code), error
    except Exception as error:  # a bug in a stage must not lose the summary of the others
        crash = StageFailed(f"{type(error).__name__}: {error}")
        return Outcome(stage.name, "failed", time.monotonic() - started, 1), crash
    return Outcome(stage.name, "passed", time.monotonic() - started), None


def summary_table(outcomes: list[Outcome]) -> str:
    """A plain-text table that reads the same in a terminal and in Jenkins' console."""
    width = max([len("stage"), *(len(outcome.name) for outcome in outcomes)])
    lines = ["", f"{'stage':<{width}}  {'status':<7}  {'seconds':>8}",
             f"{'-' * width}  {'-' * 7}  {'-' * 8}"]
    for outcome in outcomes:
        lines.append(f"{outcome.name:<{width}}  {outcome.status:<7}  {outcome.seconds:>8.1f}")
    total = sum(outcome.seconds for outcome in outcomes)
    lines.append(f"{'total':<{width}}  {'':<7}  {total:>8.1f}")
    return "\n".join(lines)
