"""``pipeline.json`` in ``reports_dir``: what ran, how it ended, how long it took, what it
left behind.

One record type for every stage run, whether played by ``pipeline run`` or called alone as
Jenkins does; the run's summary table and ``run --json`` are made from the same records.
"""
import enum
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipeline.core import output
from pipeline.core.config import Config
from pipeline.core.errors import as_pipeline_error
from pipeline.core.files import write_atomic

PIPELINE_JSON = "pipeline.json"


class Status(enum.StrEnum):
    """How a stage run ended."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass
class StageRecord:
    """One stage run; ``exit_code`` tells a failure (1) from bad input (2)."""

    name: str
    status: Status = Status.SKIPPED
    seconds: float = 0.0
    exit_code: int = 0
    started_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())
    artifacts: list[str] = field(default_factory=list)
    error: str | None = None


def pipeline_json(config: Config) -> Path:
    """Where the stage records of this workspace live."""
    return config.reports_dir / PIPELINE_JSON


def read_records(config: Config) -> list[dict[str, Any]]:
    """The recorded stage runs, oldest first; none when the file is absent or unreadable."""
    try:
        data = json.loads(pipeline_json(config).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    stages = data.get("stages") if isinstance(data, dict) else None
    return stages if isinstance(stages, list) else []


def reset(config: Config) -> None:
    """Start a new record, as ``pipeline run`` does for each run."""
    _write(config, [])


def append(config: Config, record: StageRecord) -> None:
    """Add one stage run to the record."""
    _write(config, [*read_records(config), record])


@contextmanager
def recorded(config: Config, name: str,
             artifacts: tuple[Path, ...] = ()) -> Iterator[StageRecord]:
    """Time the stage in the ``with`` body and record how it ended, even when it raises."""
    record = StageRecord(name=name)
    started = time.monotonic()
    try:
        yield record
        record.status = Status.PASSED
    except Exception as error:
        failure = as_pipeline_error(error)
        record.status, record.exit_code = Status.FAILED, failure.exit_code
        record.error = str(failure)
        raise
    except BaseException:  # interrupted: the run did not pass, and says so in the record
        record.status, record.exit_code, record.error = Status.FAILED, 130, "interrupted"
        raise
    finally:
        record.seconds = round(time.monotonic() - started, 3)
        record.artifacts = [config.display(path) for path in artifacts if path.exists()]
        append(config, record)


def summary_table(records: list[StageRecord]) -> str:
    """The run at a glance: each stage's status and seconds, and the total."""
    rows = [(record.name, record.status.value, f"{record.seconds:.1f}") for record in records]
    total = sum(record.seconds for record in records)
    return output.table(("stage", "status", "seconds"), [*rows, ("total", "", f"{total:.1f}")],
                        right=("seconds",))


def _write(config: Config, stages: list[Any]) -> None:
    write_atomic(pipeline_json(config), output.to_json({"stages": stages}))
