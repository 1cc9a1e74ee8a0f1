"""Runs the real Jenkinsfile through the Groovy harness once for every scenario (one JVM).

``builds`` maps a scenario name to the recorded build; the cases in this folder assert on it.
"""
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
JENKINSFILE = ROOT / "Jenkinsfile"
HARNESS = HERE / "harness.groovy"

VERSION = "1.4.0+build.42"
PLAN = "image: app:1.3.0-build.41 -> app:1.4.0-build.42\nmigrations: 1 pending"
_OUTPUTS = {"pipeline version": VERSION + "\n", "deploy --plan": PLAN + "\n"}

SCENARIOS: dict[str, dict[str, Any]] = {
    "main_approved": {"branch": "main", "approval": "approve", "stdout": _OUTPUTS},
    "main_refused": {"branch": "main", "approval": "refuse", "stdout": _OUTPUTS},
    "main_timed_out": {"branch": "main", "approval": "timeout", "stdout": _OUTPUTS},
    "main_multibranch": {"branch": "main", "branchEnv": True, "approval": "approve",
                         "stdout": _OUTPUTS},
    "main_staging_only": {"branch": "main", "params": {"DEPLOY_TO": "staging"},
                          "stdout": _OUTPUTS},
    "main_no_deploy": {"branch": "main", "params": {"DEPLOY_TO": "none"}, "stdout": _OUTPUTS},
    "main_tests_fail": {"branch": "main", "failSh": ["pipeline test"], "stdout": _OUTPUTS},
    "main_staging_fails": {"branch": "main", "failSh": ["deploy staging"], "approval": "approve",
                           "stdout": _OUTPUTS},
    "feature_branch": {"branch": "feature/login", "approval": "approve", "stdout": _OUTPUTS},
    "pull_request": {"branch": "PR-7", "branchEnv": True, "changeId": "7", "approval": "approve",
                     "stdout": _OUTPUTS},
    "pull_request_from_main": {"branch": "main", "branchEnv": True, "changeId": "8",
                               "approval": "approve", "stdout": _OUTPUTS},
}


@dataclass(frozen=True)
class Build:
    """One recorded build: its calls in order and how it ended."""

    calls: list[dict[str, Any]]
    result: str
    error: str | None
    display_name: str
    description: str | None

    def steps(self, name: str) -> list[dict[str, Any]]:
        """Every call of one step, in order."""
        return [call for call in self.calls if call["step"] == name]

    def scripts(self) -> list[str]:
        """The sh scripts, in order."""
        return [call["script"] for call in self.steps("sh")]

    def pipeline_calls(self) -> list[str]:
        """The arguments of every ``python -m pipeline`` call, in order."""
        marker = "-m pipeline "
        return [script.split(marker, 1)[1] for script in self.scripts() if marker in script]

    def index(self, predicate: Callable[[dict[str, Any]], bool]) -> int:
        """Position of the first call matching ``predicate``; fails the test when none does."""
        for position, call in enumerate(self.calls):
            if predicate(call):
                return position
        raise AssertionError("no such call in the build")


def java_home() -> str:
    """JAVA_HOME for Debian's groovy, which needs it set."""
    java = shutil.which("java")
    if java is None:
        pytest.fail("java is not installed (apt-get install default-jre-headless groovy)")
    return str(Path(os.path.realpath(java)).parents[1])


def run_harness(jenkinsfile: Path, scenarios: dict[str, dict[str, Any]],
                work: Path) -> subprocess.CompletedProcess[str]:
    """Evaluate ``jenkinsfile`` under every scenario in one JVM."""
    if shutil.which("groovy") is None:
        pytest.fail("groovy is not installed (apt-get install groovy; `make setup` does)")
    scenario_file = work / "scenarios.json"
    scenario_file.write_text(json.dumps(scenarios), encoding="utf-8")
    return subprocess.run(["groovy", str(HARNESS), str(jenkinsfile), str(scenario_file)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "JAVA_HOME": java_home()})


@pytest.fixture(scope="session")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Build]:
    """Every scenario of the real Jenkinsfile, recorded."""
    completed = run_harness(JENKINSFILE, SCENARIOS, tmp_path_factory.mktemp("harness"))
    assert completed.returncode == 0, completed.stderr
    recorded = json.loads(completed.stdout)
    return {name: Build(calls=build["calls"], result=build["result"], error=build["error"],
                        display_name=build["displayName"], description=build["description"])
            for name, build in recorded.items()}
