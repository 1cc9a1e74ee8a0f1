"""The Jenkinsfile's constants and properties agree with setup.cfg and the synced job.

The Jenkinsfile cannot read setup.cfg before it has a node, and its ``properties`` step
rewrites the job, so the few values both hold are kept equal by these checks.
"""
import xml.etree.ElementTree as ElementTree

import pytest

from pipeline.core import config
from pipeline.jenkins import jobconfig
from pipeline.jenkins.settings import JobSettings
from tests.jenkinsfile.conftest import SCENARIOS, Build


@pytest.fixture
def job() -> JobSettings:
    return JobSettings.from_config(config.load())


def test_approvers_agent_and_credentials_are_the_configured_ones(
        builds: dict[str, Build], job: JobSettings) -> None:
    build = builds["main_approved"]
    assert build.steps("input")[0]["submitter"] == job.approvers
    assert {node["label"] for node in build.steps("node")} == {job.agent_label}
    used = {credential for call in build.steps("withCredentials") for credential in call["ids"]}
    assert used == {job.registry_credentials, job.vault_credentials, job.ssh_credentials}


def test_only_the_configured_main_branch_deploys(builds: dict[str, Build],
                                                 job: JobSettings) -> None:
    assert SCENARIOS["main_approved"]["branch"] == job.main_branch
    assert builds["main_approved"].steps("lock")
    assert not builds["feature_branch"].steps("lock")


def test_the_synced_job_has_the_properties_the_jenkinsfile_sets(
        builds: dict[str, Build], job: JobSettings) -> None:
    (properties,) = builds["main_approved"].steps("properties")
    declared = {key: value for item in properties["properties"] for key, value in item.items()}
    root = ElementTree.fromstring(jobconfig.render(job).split("?>", 1)[1])

    rotator = declared["buildDiscarder"]["logRotator"]
    assert root.findtext(".//numToKeep") == rotator["numToKeepStr"]
    assert root.findtext(".//artifactNumToKeep") == rotator["artifactNumToKeepStr"]

    (choice,) = [parameter["choice"] for parameter in declared["parameters"]]
    assert root.findtext(".//hudson.model.ChoiceParameterDefinition/name") == choice["name"]
    assert [element.text for element in root.iter("string")] == choice["choices"]
    assert root.findtext(".//hudson.model.ChoiceParameterDefinition/description") == \
        choice["description"]

    polls = [trigger["spec"] for trigger in declared["pipelineTriggers"]
             if trigger["trigger"] == "pollSCM"]
    assert polls == [job.poll_schedule] == [root.findtext(".//hudson.triggers.SCMTrigger/spec")]
    assert root.find(".//com.cloudbees.jenkins.GitHubPushTrigger") is not None
