"""The Jenkinsfile's declarations, as pipeline/jenkins reads them, are what its builds really use.

The controller's definition (jobs, agents, credential scopes, approvers) is built from those
declarations; these checks make sure the reading is faithful, so the two cannot disagree.
"""
from pathlib import Path

import pytest

from pipeline.core.errors import InputError
from pipeline.jenkins.jenkinsfile import Declarations
from tests.jenkinsfile.conftest import (BUILD_JOB, DEFINITION, DEPLOY_JOB, JENKINSFILE, SETTINGS,
                                        Build)

pytestmark = pytest.mark.tools("groovy", "java")
DECLARED = SETTINGS.declared


def test_the_labels_credentials_and_approvers_used_are_the_declared_ones(
        builds: dict[str, Build]) -> None:
    build = builds["deploy_approved"]
    assert build.steps("input")[0]["submitter"] == DECLARED.approvers
    assert {node["label"] for node in build.steps("node")} == {
        DECLARED.agent_label, DECLARED.docker_label, DECLARED.deploy_label}
    used = {credential for call in build.steps("withCredentials") for credential in call["ids"]}
    assert used == {DECLARED.registry_credentials, DECLARED.vault_credentials,
                    DECLARED.ssh_credentials}
    assert {agent.label for agent in DEFINITION.agents} == {
        node["label"] for node in build.steps("node")}


def test_the_deploy_job_is_the_declared_one(builds: dict[str, Build]) -> None:
    assert SETTINGS.declared.deploy_job == DEPLOY_JOB != BUILD_JOB
    assert builds["deploy_approved"].steps("lock")
    assert not builds["feature_branch"].steps("lock")
    assert {job.full_name for job in DEFINITION.jobs} == {BUILD_JOB, DEPLOY_JOB}


def test_the_declarations_are_read_from_the_jenkinsfile_itself(tmp_path: Path) -> None:
    changed = tmp_path / "Jenkinsfile"
    changed.write_text(JENKINSFILE.read_text(encoding="utf-8").replace(
        "APPROVERS = 'release-manager'", "APPROVERS = 'alice, bob'"), encoding="utf-8")
    assert Declarations.read(changed).approver_ids == ("alice", "bob")


@pytest.mark.parametrize(("old", "new"), [
    ("@Field final String DEPLOY_LABEL = 'deploy'", ""),
    ("DEPLOY_LABEL = 'deploy'", "DEPLOY_LABEL = ''"),
    ("@Field final String DEPLOY_LABEL = 'deploy'", "@Field final String DEPLOY_LABEL = \"x\""),
])
def test_a_missing_or_unreadable_declaration_is_one_clear_error(
        tmp_path: Path, old: str, new: str) -> None:
    changed = tmp_path / "Jenkinsfile"
    text = JENKINSFILE.read_text(encoding="utf-8")
    assert old in text
    changed.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(InputError, match="no \"@Field final String DEPLOY_LABEL = '...'\""):
        Declarations.read(changed)
    with pytest.raises(InputError, match="cannot read"):
        Declarations.read(tmp_path / "missing")
