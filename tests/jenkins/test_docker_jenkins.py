"""docker/jenkins: what can be checked without starting Jenkins (no server can run here).

The plugins cover every step the Jenkinsfile calls, all pinned; casc.yaml is valid and its job,
approvers, agent label and credential ids are the ones setup.cfg and `jenkins sync` use.
"""
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.core import config
from pipeline.jenkins import jobconfig
from pipeline.jenkins.settings import JobSettings

ROOT = Path(__file__).resolve().parents[2]
CONTROLLER = ROOT / "docker" / "jenkins" / "controller"
AGENT = ROOT / "docker" / "jenkins" / "agent"
HARNESS = ROOT / "tests" / "jenkinsfile" / "harness.groovy"

# The plugin that provides each step the Jenkinsfile may call (the harness binds exactly these).
AGGREGATOR = "workflow-aggregator"
STEP_PLUGINS = {
    "properties": AGGREGATOR, "buildDiscarder": AGGREGATOR, "logRotator": AGGREGATOR,
    "parameters": AGGREGATOR, "choice": AGGREGATOR, "pipelineTriggers": AGGREGATOR,
    "pollSCM": AGGREGATOR, "node": AGGREGATOR, "stage": AGGREGATOR, "timeout": AGGREGATOR,
    "sh": AGGREGATOR, "input": AGGREGATOR, "stash": AGGREGATOR, "unstash": AGGREGATOR,
    "writeFile": AGGREGATOR, "echo": AGGREGATOR, "error": AGGREGATOR, "withEnv": AGGREGATOR,
    "archiveArtifacts": AGGREGATOR, "checkout": "git", "githubPush": "github",
    "milestone": "pipeline-milestone-step", "lock": "lockable-resources",
    "junit": "junit", "recordCoverage": "coverage", "publishHTML": "htmlpublisher",
    "withCredentials": "credentials-binding", "usernamePassword": "credentials-binding",
    "file": "credentials-binding", "sshUserPrivateKey": "credentials-binding",
}
PINNED = re.compile(r"^(?P<name>[a-z0-9-]+):(?P<version>\d[\w.-]*)$")


def plugins() -> dict[str, str]:
    """plugins.txt as name -> version; a line that is not ``name:version`` fails the test."""
    pinned: dict[str, str] = {}
    for line in (CONTROLLER / "plugins.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = PINNED.match(line.strip())
        assert match, f"not pinned as name:version: {line}"
        assert match["name"] not in pinned, f"listed twice: {match['name']}"
        pinned[match["name"]] = match["version"]
    return pinned


def casc() -> dict[str, Any]:
    loaded = yaml.safe_load((CONTROLLER / "casc.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def job_dsl_call(script: str, method: str) -> str:
    """The first string argument of ``method('...')`` in the Job DSL script."""
    match = re.search(rf"\b{method}\('((?:[^'\\]|\\.)*)'", script)
    assert match, f"{method}(...) missing from the Job DSL"
    return match[1].replace("\\'", "'")


@pytest.fixture
def job() -> JobSettings:
    return JobSettings.from_config(config.load())


def test_every_plugin_is_pinned_and_every_step_has_its_plugin() -> None:
    pinned = plugins()
    bound = set(re.findall(r"^ {12}(\w+): \{", HARNESS.read_text(encoding="utf-8"), re.M))
    assert bound == set(STEP_PLUGINS), "harness steps and STEP_PLUGINS differ"
    missing = {step: plugin for step, plugin in STEP_PLUGINS.items() if plugin not in pinned}
    assert missing == {}
    for needed in ("configuration-as-code", "job-dsl", "pipeline-stage-view", "matrix-auth"):
        assert needed in pinned


def test_casc_job_is_the_job_jenkins_sync_renders(job: JobSettings) -> None:
    (entry,) = casc()["jobs"]
    script = entry["script"]
    assert job_dsl_call(script, "pipelineJob") == job.job_name
    assert job_dsl_call(script, "description") == jobconfig.DESCRIPTION
    assert job_dsl_call(script, "url") == job.repository_url
    assert job_dsl_call(script, "credentials") == job.scm_credentials
    assert job_dsl_call(script, "branch") == job.branch_spec
    assert job_dsl_call(script, "scriptPath") == job.jenkinsfile
    assert job_dsl_call(script, "scmpoll_spec") == job.poll_schedule
    assert "githubPush()" in script and "lightweight(false)" in script
    assert job_dsl_call(script, "numToKeepStr") == str(jobconfig.BUILDS_KEPT)
    assert job_dsl_call(script, "artifactNumToKeepStr") == str(jobconfig.ARTIFACT_BUILDS_KEPT)
    choices = ", ".join(f"'{choice}'" for choice in jobconfig.DEPLOY_CHOICES)
    assert (f"choiceParam('{jobconfig.DEPLOY_PARAMETER}', [{choices}], "
            f"'{jobconfig.DEPLOY_DESCRIPTION}')") in script


def test_casc_has_the_approvers_agent_and_credential_placeholders(job: JobSettings) -> None:
    loaded = casc()
    groups = [entry["group"]["name"] for entry in
              loaded["jenkins"]["authorizationStrategy"]["globalMatrix"]["entries"]
              if "group" in entry]
    assert job.approvers in groups
    (node,) = loaded["jenkins"]["nodes"]
    assert node["permanent"]["labelString"] == job.agent_label
    credentials = [next(iter(item.values())) for item in
                   loaded["credentials"]["system"]["domainCredentials"][0]["credentials"]]
    assert {item["id"] for item in credentials} == {
        job.scm_credentials, job.registry_credentials, job.vault_credentials,
        job.ssh_credentials}


def test_casc_holds_no_secret_only_placeholders() -> None:
    text = (CONTROLLER / "casc.yaml").read_text(encoding="utf-8")
    for key in ("password", "privateKey", "secretBytes"):
        for value in re.findall(rf"\b{key}: (.*)", text):
            assert re.fullmatch(r'"\$\{[\w:{$]+\}+"', value.strip()), f"{key}: {value}"


def test_images_are_pinned_and_hadolint_clean() -> None:
    for dockerfile in (CONTROLLER / "Dockerfile", AGENT / "Dockerfile"):
        text = dockerfile.read_text(encoding="utf-8")
        for image in re.findall(r"^ARG \w+_IMAGE=(\S+)$", text, re.M):
            assert ":" in image and not image.endswith(":latest"), image
        completed = subprocess.run(
            [str(Path(sys.executable).parent / "hadolint"), "--failure-threshold", "warning",
             str(dockerfile)], capture_output=True, text=True, timeout=60, check=False)
        assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "jenkins/jenkins:" in (CONTROLLER / "Dockerfile").read_text(encoding="utf-8")
