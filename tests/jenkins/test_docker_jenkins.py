"""docker/jenkins: what can be checked without starting Jenkins (no server can run here).

The plugins cover every step the Jenkinsfile calls, all pinned; casc.yaml is exactly what
`pipeline jenkins casc` renders from the definition, holds only placeholders, scopes the deploy
credentials to the deploy folder and the deploy agent to its jobs, and its Job DSL compiles
under Groovy whatever the secrets hold.
"""
import base64
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.core import config
from pipeline.jenkins import casc
from pipeline.jenkins.definition import CASC_FILE, Definition, define, user_password_variable
from pipeline.jenkins.settings import JobSettings
from tests.jenkins.conftest import run_cli
from tests.jenkinsfile.conftest import java_home

ROOT = Path(__file__).resolve().parents[2]
CONTROLLER = ROOT / "docker" / "jenkins" / "controller"
AGENT = ROOT / "docker" / "jenkins" / "agent"
HARNESS = ROOT / "tests" / "jenkinsfile" / "harness.groovy"

# The plugin that provides each step the Jenkinsfile may call (the harness binds exactly these).
AGGREGATOR = "workflow-aggregator"
STEP_PLUGINS = {
    "node": AGGREGATOR, "stage": AGGREGATOR, "timeout": AGGREGATOR, "parallel": AGGREGATOR,
    "sh": AGGREGATOR, "input": AGGREGATOR, "stash": AGGREGATOR, "unstash": AGGREGATOR,
    "writeFile": AGGREGATOR, "echo": AGGREGATOR, "error": AGGREGATOR, "withEnv": AGGREGATOR,
    "archiveArtifacts": AGGREGATOR, "deleteDir": AGGREGATOR, "checkout": "git",
    "milestone": "pipeline-milestone-step", "lock": "lockable-resources",
    "junit": "junit", "recordCoverage": "coverage", "publishHTML": "htmlpublisher",
    "withCredentials": "credentials-binding", "usernamePassword": "credentials-binding",
    "file": "credentials-binding", "sshUserPrivateKey": "credentials-binding",
}
# What casc.yaml itself needs beyond the steps.
CONTROLLER_PLUGINS = ("configuration-as-code", "job-dsl", "cloudbees-folder", "role-strategy",
                      "job-restrictions", "pipeline-stage-view", "github")
PINNED = re.compile(r"^(?P<name>[a-z0-9-]+):(?P<version>\d[\w.-]*)$")
PLACEHOLDER = re.compile(r"\$\{(?:base64:\$\{)?(?P<name>[A-Z_]+)\}+")


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


@pytest.fixture(scope="module")
def definition() -> Definition:
    return define(JobSettings.from_config(config.load(ROOT)))


@pytest.fixture(scope="module")
def loaded() -> dict[str, Any]:
    document = yaml.safe_load((CONTROLLER / "casc.yaml").read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def test_every_plugin_is_pinned_and_every_step_has_its_plugin() -> None:
    pinned = plugins()
    bound = set(re.findall(r"^ {12}(\w+): \{", HARNESS.read_text(encoding="utf-8"), re.M))
    assert bound == set(STEP_PLUGINS), "harness steps and STEP_PLUGINS differ"
    missing = {step: plugin for step, plugin in STEP_PLUGINS.items() if plugin not in pinned}
    assert missing == {}
    assert [plugin for plugin in CONTROLLER_PLUGINS if plugin not in pinned] == []


def test_the_committed_casc_yaml_is_the_render(definition: Definition) -> None:
    assert (CONTROLLER / "casc.yaml").read_text(encoding="utf-8") == casc.render(definition), \
        "run `pipeline jenkins casc` and commit docker/jenkins/controller/casc.yaml"


def test_casc_check_and_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("setup.cfg", "Jenkinsfile"):
        shutil.copy(ROOT / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    written = tmp_path / CASC_FILE
    code, _, err = run_cli(capsys, "jenkins", "casc", "--check")
    assert code == 1 and "is not what `pipeline jenkins casc` renders" in err
    assert not written.exists()
    assert run_cli(capsys, "jenkins", "casc") == (0, f"wrote {CASC_FILE}\n", "")
    assert written.read_text(encoding="utf-8") == (CONTROLLER / "casc.yaml").read_text("utf-8")
    assert run_cli(capsys, "jenkins", "casc", "--check")[:2] == (
        0, f"{CASC_FILE} is the render: unchanged\n")


def test_deploy_credentials_live_only_in_the_deploy_folder(
        loaded: dict[str, Any], definition: Definition) -> None:
    settings = JobSettings.from_config(config.load(ROOT))
    declared = settings.declared
    deploy_ids = {declared.registry_credentials, declared.vault_credentials,
                  declared.ssh_credentials}
    system = [next(iter(item.values())) for item in
              loaded["credentials"]["system"]["domainCredentials"][0]["credentials"]]
    assert [item["id"] for item in system] == [settings.scm_credentials]
    (entry,) = loaded["jobs"]
    script = entry["script"]
    folder_block = script[script.index(f"folder('{settings.deploy_folder}')"):
                          script.index("pipelineJob(")]
    assert set(re.findall(r"\bid\('([^']+)'\)", folder_block)) == deploy_ids
    assert definition.credential_folders() == {settings.scm_credentials: "",
                                               **{id_: settings.deploy_folder
                                                  for id_ in deploy_ids}}
    assert not settings.job_name.startswith(settings.deploy_folder + "/")
    assert f"pipelineJob('{declared.deploy_job}')" in script


def test_only_deploy_jobs_run_on_the_deploy_agent_and_no_agent_is_the_controller(
        loaded: dict[str, Any]) -> None:
    declared = JobSettings.from_config(config.load(ROOT)).declared
    assert loaded["jenkins"]["numExecutors"] == 0
    agents = {node["permanent"]["labelString"]: node["permanent"]
              for node in loaded["jenkins"]["nodes"]}
    assert set(agents) == {declared.agent_label, declared.docker_label, declared.deploy_label}
    restriction = agents[declared.deploy_label]["nodeProperties"][0]["jobRestrictionProperty"]
    pattern = restriction["jobRestriction"]["regexNameRestriction"]["regexExpression"]
    assert re.fullmatch(pattern, declared.deploy_job)
    assert not re.fullmatch(pattern, "visitor-counter")
    assert not re.fullmatch(pattern, "deploy-evil/job")
    assert "nodeProperties" not in agents[declared.agent_label]


def test_only_the_approvers_may_approve_and_nobody_but_admins_may_change_the_deploy_job(
        loaded: dict[str, Any]) -> None:
    declared = JobSettings.from_config(config.load(ROOT)).declared
    users = [user["id"] for user in loaded["jenkins"]["securityRealm"]["local"]["users"]]
    assert set(declared.approver_ids) <= set(users)
    roles = loaded["jenkins"]["authorizationStrategy"]["roleBased"]["roles"]
    on_deploy_job: dict[str, set[str]] = {}
    for role in roles["global"] + roles["items"]:
        if "pattern" in role and not re.fullmatch(role["pattern"], declared.deploy_job):
            continue
        for entry in role["entries"]:
            who = entry.get("user") or "group:" + entry["group"]
            on_deploy_job.setdefault(who, set()).update(role["permissions"])
    may_configure = {who for who, permissions in on_deploy_job.items()
                     if {"Job/Configure", "Run/Replay", "Overall/Administer"} & permissions}
    assert may_configure == {"admin"}
    # Approving is the input's submitter list; Job/Cancel may refuse it (Jenkins' rule).
    may_refuse = {who for who, permissions in on_deploy_job.items()
                  if {"Job/Cancel", "Overall/Administer"} & permissions}
    assert may_refuse == {"admin", *declared.approver_ids}


def test_casc_holds_no_secret_only_placeholders(definition: Definition) -> None:
    text = (CONTROLLER / "casc.yaml").read_text(encoding="utf-8")
    for key in ("password", "privateKey", "secretBytes"):
        for value in re.findall(rf"\b{key}[:(] ?(.*)", text):
            assert PLACEHOLDER.search(value), f"{key}: {value}"
    expected = {variable for credential in definition.credentials
                for _, variable in credential.secrets}
    expected |= {user_password_variable(user) for user in definition.users}
    body = text[len(casc.HEADER):]
    assert set(PLACEHOLDER.findall(body)) == expected


@pytest.mark.tools("groovy", "java")
def test_the_job_dsl_compiles_whatever_the_secrets_hold(
        tmp_path: Path, definition: Definition) -> None:
    """As the controller runs it: casc substitutes every placeholder first."""
    hostile = "it's a \"secret\" \\ with ''' and ${x}\n-----END KEY-----\n"
    script = PLACEHOLDER.sub(lambda match: base64.b64encode(hostile.encode()).decode()
                             if "base64:" in match[0] else hostile, casc.job_dsl(definition))
    dsl = tmp_path / "jobs.groovy"
    dsl.write_text(script.replace("^${", "${"), encoding="utf-8")
    if shutil.which("groovy") is None:
        pytest.fail("groovy is not installed (apt-get install groovy; `make setup` does)")
    completed = subprocess.run(
        ["groovy", "-e", f"new GroovyShell().parse(new File('{dsl}')); println 'compiled'"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "JAVA_HOME": java_home()})
    assert completed.stdout.strip() == "compiled", completed.stderr
    assert hostile not in script, "secrets reach the script base64-encoded only"


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


def test_casc_gives_the_deploy_job_redeploy_build_empty_by_default(
        loaded: dict[str, Any]) -> None:
    declared = JobSettings.from_config(config.load(ROOT)).declared
    (entry,) = loaded["jobs"]
    script = entry["script"]
    deploy_block = script[script.index(f"pipelineJob('{declared.deploy_job}')"):]
    build_block = script[script.index("pipelineJob("):script.index(
        f"pipelineJob('{declared.deploy_job}')")]
    assert re.search(r"^ +stringParam\('REDEPLOY_BUILD', '', '[^\n]*build number",
                     deploy_block, re.M)
    assert "REDEPLOY_BUILD" not in build_block
