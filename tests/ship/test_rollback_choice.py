"""The build a rollback returns the whole environment to, and the --skip-host options.

The choice is the playbooks' own filter (pipeline/ansible/filter_plugins/releases.py), loaded
from its file as Ansible loads it; the fleet tests run it inside a real rollback.
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pipeline.ship.deploy import skip_limit

REPO_ROOT = Path(__file__).resolve().parents[2]


def releases() -> ModuleType:
    """The filter plugin, imported from its file."""
    path = REPO_ROOT / "pipeline" / "ansible" / "filter_plugins" / "releases.py"
    spec = importlib.util.spec_from_file_location("releases", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def record(build: int, day: int) -> dict[str, Any]:
    """A release record as roles/app/tasks/record.yml writes it (the fields the choice reads)."""
    return {"build": build, "deployed_at": f"2026-12-{day:02d}T10:00:00Z", "image": f"v:{build}"}


# Build 4 reached app-1 only (a partial rollout): app-2 still serves build 2.
PARTIAL = {"app-1": [record(4, 5), record(2, 2), record(1, 1)],
           "app-2": [record(2, 2), record(1, 1)]}


def choice(histories: dict[str, list[dict[str, Any]]], serving: dict[str, int],
           wanted: int | None = None) -> dict[str, Any]:
    result: dict[str, Any] = releases().FilterModule().filters()["rollback_choice"](
        histories, serving, wanted)
    return result


def test_after_a_partial_rollout_every_host_returns_to_the_release_before_it() -> None:
    found = choice(PARTIAL, {"app-1": 4, "app-2": 2})
    assert (found["build"], found["current"], found["reason"]) == (2, 4, "")


def test_the_previous_release_is_the_one_deployed_before_not_the_lower_number() -> None:
    """Build 3 deployed again after build 5 (a redeploy): going back means build 5."""
    history = [record(3, 9), record(5, 8), record(4, 7)]
    assert choice({"app-1": history, "app-2": history}, {"app-1": 3, "app-2": 3})["build"] == 5


def test_a_build_asked_for_must_be_kept_by_every_host() -> None:
    assert choice(PARTIAL, {"app-1": 4, "app-2": 2}, 1)["build"] == 1
    refused = choice(PARTIAL, {"app-1": 4, "app-2": 2}, 4)
    assert refused["build"] is None
    assert refused["reason"] == ("no kept release to roll back to with build 4 (kept: app-1: "
                                 "4, 2, 1; app-2: 2, 1): every app host must keep it")


def test_no_older_release_kept_everywhere_is_said_with_what_each_host_keeps() -> None:
    refused = choice({"app-1": [record(4, 5), record(3, 4)], "app-2": [record(2, 2)]},
                     {"app-1": 4, "app-2": 2})
    assert refused["build"] is None
    assert refused["reason"] == ("no kept release to roll back to: none older than build 4 "
                                 "is kept by every app host (kept: app-1: 4, 3; app-2: 2)")


def test_with_nothing_serving_the_newest_record_is_the_current_release() -> None:
    assert choice(PARTIAL, {"app-1": -1, "app-2": -1})["build"] == 2
    assert choice({"app-1": [record(1, 1)]}, {"app-1": 1}, 9)["reason"] == (
        "no kept release to roll back to with build 9 (kept: 1): every app host must keep it")
    assert choice({"app-1": []}, {"app-1": -1})["reason"] == (
        "no kept release to roll back to: no app host records a release")


def test_skipped_hosts_are_left_out_of_every_play_but_localhost_stays() -> None:
    assert skip_limit(()) == ""
    assert skip_limit(("app-2", "app-3")) == "all:localhost:!app-2:!app-3"


@pytest.mark.parametrize(("args", "error"), [
    (["deploy", "local", "--skip-host", "all:!db-1"],
     "--skip-host 'all:!db-1' is not a host name (letters, digits, '_', '.', '-')"),
    (["rollback", "local", "--skip-host", "app-*"],
     "--skip-host 'app-*' is not a host name (letters, digits, '_', '.', '-')"),
    (["deploy", "local", "--plan", "--skip-host", "app-2"],
     "--skip-host does not go with --plan: the plan asks every app host"),
])
def test_a_bad_skip_host_is_one_line_before_any_host_is_asked(
        args: list[str], error: str, tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=REPO_ROOT,
                            env={**os.environ, "PIPELINE_REPORTS_DIR": str(tmp_path)},
                            text=True, capture_output=True, check=False, timeout=60)
    assert (result.returncode, result.stderr) == (2, f"pipeline: error: {error}\n")
    assert list(tmp_path.glob("*.log")) == []
