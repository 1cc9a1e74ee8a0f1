"""Playing stages: ``pipeline run`` (the stages in Jenkins' order, a summary at the end) and
one stage called alone, as Jenkins calls it, recorded the same way.

This module imports the stage modules, which register themselves; the registry imports none.
"""
import importlib
import pkgutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import TextIO

from pipeline import stages as stages_package
from pipeline.core import output, reports
from pipeline.core.config import Config
from pipeline.core.errors import (InputError, PipelineError, StageFailed, as_pipeline_error,
                                  require_extra)
from pipeline.core.reports import StageRecord, Status
from pipeline.stages.registry import Stage, registered, resolve

REGISTRY_MODULE = "registry"


def load_stages() -> dict[str, Stage]:
    """Import every module of ``pipeline.stages``, so each registers its stage; return them."""
    for info in pkgutil.iter_modules(stages_package.__path__):
        if info.name != REGISTRY_MODULE:
            importlib.import_module(f"{stages_package.__name__}.{info.name}")
    return registered()


def console_log(config: Config, name: str) -> Path:
    """Where a stage's console output goes under ``-q``."""
    return config.reports_dir / "console" / f"{name}.log"


@contextmanager
def console(config: Config, name: str, out: TextIO) -> Iterator[None]:
    """Where a stage's own output goes: ``out`` (the terminal, or stderr under ``--json``), or
    under ``-q`` a log file in ``reports_dir``'s ``console/``, out of sight but not lost."""
    if output.verbosity() == output.Verbosity.QUIET:
        log = console_log(config, name)
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w", encoding="utf-8") as sink, redirect_stdout(sink):
            yield
    elif out is not sys.stdout:
        with redirect_stdout(out):
            yield
    else:
        yield


def require_stage_extra(stage: Stage) -> None:
    """Refuse a stage whose extra is not installed, before anything runs."""
    if stage.extra is not None:
        require_extra(stage.extra)


@contextmanager
def playing(config: Config, stage: Stage, out: TextIO) -> Iterator[StageRecord]:
    """Around one stage run: its output directed, its run recorded (even when it raises)."""
    with reports.recorded(config, stage.name, stage.artifacts(config)) as record:
        with console(config, stage.name, out):
            yield record


def run_pipeline(config: Config, names: tuple[str, ...] | None = None,
                 keep_going: bool = False, as_json: bool = False) -> list[StageRecord]:
    """Play the stages in order; stop at the first failure unless ``keep_going``.

    Every stage is checked (known, its extra installed) before the first one starts. The end
    is a summary table, or with ``as_json`` the records as JSON on stdout (stage output then
    goes to stderr). The first failure is raised after that, so the exit code follows the
    stage contract (1 a stage failed, 2 an input was wrong).
    """
    out = sys.stderr if as_json else sys.stdout
    load_stages()
    stages = resolve(config.stages if names is None else names)
    for stage in stages:
        require_stage_extra(stage)
    reports.reset(config)
    records: list[StageRecord] = []
    first_error: PipelineError | None = None
    for index, stage in enumerate(stages, start=1):
        if first_error is not None and not keep_going:
            records.append(StageRecord(name=stage.name, status=Status.SKIPPED))
            reports.append(config, records[-1])
            continue
        if output.verbosity() > output.Verbosity.QUIET:
            print(f"\n==> [{index}/{len(stages)}] {stage.name}: {stage.summary}", file=out,
                  flush=True)
        record, error = _play_one(config, stage, out)
        records.append(record)
        if error is not None:
            first_error = first_error or error
    if as_json:
        sys.stdout.write(output.to_json(run_summary(records)))
    else:
        print("\n" + reports.summary_table(records), file=out, flush=True)
        if output.verbosity() > output.Verbosity.QUIET:
            print(f"stage records: {config.display(reports.pipeline_json(config))}", file=out)
    if first_error is not None:
        failed = [record.name for record in records if record.status == Status.FAILED]
        same_kind = InputError if first_error.exit_code == InputError.exit_code else StageFailed
        raise same_kind(f"pipeline failed at {', '.join(failed)}: {first_error}")
    return records


def run_summary(records: list[StageRecord]) -> dict[str, object]:
    """The run as ``run --json`` prints it: overall status, total seconds, each stage."""
    failed = any(record.status == Status.FAILED for record in records)
    return {"status": Status.FAILED if failed else Status.PASSED,
            "seconds": round(sum(record.seconds for record in records), 3),
            "stages": records}


def _play_one(config: Config, stage: Stage,
              out: TextIO) -> tuple[StageRecord, PipelineError | None]:
    """Play one stage of a run; its failure is said at once and returned, not raised."""
    try:
        with playing(config, stage, out) as record:
            stage.run(config)
    except Exception as error:  # a bug in a stage must not lose the summary of the others
        failure = as_pipeline_error(error)
        where = ""
        if output.verbosity() == output.Verbosity.QUIET:
            where = f" (its output: {config.display(console_log(config, stage.name))})"
        print(f"pipeline: {stage.name} failed: {failure}{where}", file=out, flush=True)
        return record, failure
    return record, None
