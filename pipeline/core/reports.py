"""``reports/pipeline.json``: what ran, how it ended, how long it took, what it left behind."""
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipeline.core.config import Config
from pipeline.core.errors import PipelineError

PIPELINE_JSON = "pipeline.json"


@dataclass
class StageRecord:
    """One stage run as it is written to ``pipeline.json``."""

    name: str
    status: str = "running"
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
    """Add one stage run to the record (written atomically: a crash never leaves half a file)."""
    _write(config, [*read_records(config), asdict(record)])


@contextmanager
def recorded(config: Config, name: str, artifacts: tuple[str, ...] = ()) -> Iterator[StageRecord]:
    """Time the stage in the ``with`` body and record how it ended, even when it raises."""
    record = StageRecord(name=name)
    started = time.monotonic()
    try:
        yield record
        record.status = "passed"
    except PipelineError as error:
        record.status = "failed"
        record.exit_code = error.exit_code
        record.error = str(error)
        raise
    except BaseException as error:
        record.status = "failed"
        record.exit_code = 1
        record.error = f"{type(error).__name__}: {error}"
        raise
    finally:
        record.seconds = round(time.monotonic() - started, 3)
        record.artifacts = [path for path in artifacts if (config.root / path).exists()]
        append(config, record)


def _write(config: Config, stages: list[dict[str, Any]]) -> None:
    path = pipeline_json(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps({"stages": stages}, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)
