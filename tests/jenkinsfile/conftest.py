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

from pipeline.core import config
from pipeline.jenkins.definition import define
from pipeline.jenkins.settings import JobSettings

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
JENKINSFILE = ROOT / "Jenkinsfile"
HARNESS = HERE / "harness.groovy"

VERSION = "1.4.0+build.42"
PLAN = "production: app-1, app-2 visitors:1.3.0-build.41 -> visitors:1.4.0-build.42\n" \
       "migrations: 1 pending (e75588bf2531 -> 4c1f0a7d9b21, additive)"
PLAN_JSON = "reports/plan-production.json"
_OUTPUTS = {"pipeline version": VERSION + "\n", "--plan": PLAN + "\n"}
REDEPLOYED = "1.3.0+build.7"
REDEPLOY_OUTPUTS = {**_OUTPUTS, "pipeline version": REDEPLOYED + "\n"}
# REDEPLOY_BUILD values that are not a build number (the last would run a command).
BAD_BUILDS = ("0", "07", "-3", "7a", "1.3.0+build.7", "7; touch owned")

SETTINGS = JobSettings.from_config(config.load(ROOT))
DEFINITION = define(SETTINGS)
BUILD_JOB = SETTINGS.job_name
DEPLOY_JOB = SETTINGS.declared.deploy_job
MAIN = SETTINGS.declared.main_branch
# The controller as pipeline/jenkins defines it: where each credential lives, who each agent takes.
CONTROLLER = {"credentials": DEFINITION.credential_folders(), "agents": DEFINITION.agent_jobs()}


def scenario(job: str, branch: str, **details: Any) -> dict[str, Any]:
    """What one build sees; the stdout of `pipeline version` and of the plans is canned."""
    return {"jobName": job, "branch": branch, "stdout": _OUTPUTS, "jenkins": CONTROLLER,
            **details}


SCENARIOS: dict[str, dict[str, Any]] = {
    "deploy_approved": scenario(DEPLOY_JOB, MAIN, approval="approve"),
    "deploy_refused": scenario(DEPLOY_JOB, MAIN, approval="refuse"),
    # Four eyes: alice started the build, so her approval does not count; bob's does.
    "deploy_self_approved": scenario(DEPLOY_JOB, MAIN, approval="approve", startedBy="alice",
                                     approvers=["alice", "bob"]),
    "deploy_only_self_approved": scenario(DEPLOY_JOB, MAIN, approval="approve",
                                          startedBy="alice", approvers=["alice"]),
    "deploy_started_by_carol": scenario(DEPLOY_JOB, MAIN, approval="approve",
                                        startedBy="carol"),
    "deploy_timed_out": scenario(DEPLOY_JOB, MAIN, approval="timeout"),
    "deploy_staging_only": scenario(DEPLOY_JOB, MAIN, params={"DEPLOY_TO": "staging"}),
    "deploy_nothing": scenario(DEPLOY_JOB, MAIN, params={"DEPLOY_TO": "none"}),
    "deploy_tests_fail": scenario(DEPLOY_JOB, MAIN, failSh=["pipeline test"]),
    "deploy_integration_fails": scenario(DEPLOY_JOB, MAIN, failSh=["make test-integration"]),
    "deploy_staging_fails": scenario(DEPLOY_JOB, MAIN, failSh=["deploy staging"],
                                     approval="approve"),
    "deploy_commit_not_on_main": scenario(DEPLOY_JOB, MAIN, failSh=["merge-base"]),
    # REDEPLOY_BUILD: build 7's image again; `pipeline version` then says the image's version.
    "redeploy_approved": scenario(DEPLOY_JOB, MAIN, approval="approve",
                                  params={"REDEPLOY_BUILD": "7"}, stdout=REDEPLOY_OUTPUTS),
    "redeploy_only_self_approved": scenario(DEPLOY_JOB, MAIN, approval="approve",
                                            startedBy="alice", approvers=["alice"],
                                            params={"REDEPLOY_BUILD": "7"}),
    "redeploy_staging_only": scenario(DEPLOY_JOB, MAIN,
                                      params={"REDEPLOY_BUILD": " 7 ", "DEPLOY_TO": "staging"}),
    "redeploy_not_in_registry": scenario(DEPLOY_JOB, MAIN, params={"REDEPLOY_BUILD": "7"},
                                         failSh=["version redeploy"]),
    **{f"redeploy_bad_{position}": scenario(DEPLOY_JOB, MAIN, params={"REDEPLOY_BUILD": value})
       for position, value in enumerate(BAD_BUILDS)},
    "redeploy_in_build_job": scenario(BUILD_JOB, "feature/login",
                                      params={"REDEPLOY_BUILD": "x"}),
    "feature_branch": scenario(BUILD_JOB, "feature/login", approval="approve"),
    "feature_tests_fail": scenario(BUILD_JOB, "feature/login", failSh=["pipeline test"]),
    "main_in_build_job": scenario(BUILD_JOB, MAIN, approval="approve"),
    "pull_request": scenario(BUILD_JOB, "PR-7", branchEnv=True, changeId="7",
                             approval="approve"),
    "pull_request_from_main": scenario(BUILD_JOB, MAIN, branchEnv=True, changeId="8",
                                       approval="approve"),
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

    @classmethod
    def parse_all(cls, harness_stdout: str) -> dict[str, "Build"]:
        """The harness' JSON answer: scenario name -> recorded build."""
        return {name: cls(calls=build["calls"], result=build["result"], error=build["error"],
                          display_name=build["displayName"], description=build["description"])
                for name, build in json.loads(harness_stdout).items()}

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
    return Build.parse_all(completed.stdout)
