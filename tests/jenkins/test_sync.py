"""``jenkins sync`` against the fake: create, leave alone when equal, update when different."""
import xml.etree.ElementTree as ElementTree

import pytest

from pipeline.core import config
from pipeline.jenkins import jobconfig
from pipeline.jenkins.definition import Definition, PipelineJob, define
from pipeline.jenkins.settings import JobSettings
from tests.jenkins.conftest import run_cli
from tests.jenkins.fake_jenkins import FakeJenkins


@pytest.fixture
def definition() -> Definition:
    return define(JobSettings.from_config(config.load()))


def xml_root(config_xml: str) -> ElementTree.Element:
    return ElementTree.fromstring(config_xml.split("?>", 1)[1])


def test_sync_creates_then_changes_nothing_then_updates(
        jenkins_env: FakeJenkins, definition: Definition, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    build_job, deploy_job = definition.jobs
    (folder,) = definition.folders
    code, out, _ = run_cli(capsys, "jenkins", "sync")
    assert code == 0
    assert out.splitlines() == [
        f"'{folder}' created: {jenkins_env.url}job/{folder}/",
        f"'{build_job.full_name}' created: {jenkins_env.url}job/{build_job.full_name}/",
        f"'{deploy_job.full_name}' created: {jenkins_env.url}"
        + "".join(f"job/{part}/" for part in deploy_job.full_name.split("/"))]
    assert jenkins_env.jobs[build_job.full_name] == jobconfig.render_job(build_job)
    assert jenkins_env.jobs[deploy_job.full_name] == jobconfig.render_job(deploy_job)
    assert xml_root(jenkins_env.jobs[folder]).tag == "com.cloudbees.hudson.plugins.folder.Folder"

    code, out, _ = run_cli(capsys, "jenkins", "sync")
    assert code == 0
    assert [line.split(":")[0] for line in out.splitlines()] == [
        f"'{folder}' kept as it is (its credentials live only on the controller)",
        f"'{build_job.full_name}' unchanged", f"'{deploy_job.full_name}' unchanged"]
    assert jenkins_env.config_posts == [folder, build_job.full_name, deploy_job.full_name]

    monkeypatch.setenv("PIPELINE_JENKINS_BRANCH_SPEC", "*/release-*")
    code, out, _ = run_cli(capsys, "jenkins", "sync")
    assert (code, f"'{build_job.full_name}' updated" in out) == (0, True)
    assert "<name>*/release-*</name>" in jenkins_env.jobs[build_job.full_name]
    assert jenkins_env.config_posts[3:] == [build_job.full_name]


def test_a_folder_that_exists_is_never_rewritten(jenkins_env: FakeJenkins, definition: Definition,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (folder,) = definition.folders
    with_credentials = "<com.cloudbees.hudson.plugins.folder.Folder><properties>credentials" \
                       "</properties></com.cloudbees.hudson.plugins.folder.Folder>"
    jenkins_env.add_job(folder, with_credentials)
    assert run_cli(capsys, "jenkins", "sync")[0] == 0
    assert jenkins_env.jobs[folder] == with_credentials
    assert folder not in jenkins_env.config_posts


def test_a_config_jenkins_reformatted_counts_as_unchanged(
        jenkins_env: FakeJenkins, definition: Definition,
        capsys: pytest.CaptureFixture[str]) -> None:
    (folder,) = definition.folders
    jenkins_env.add_job(folder, jobconfig.render_folder())
    for job in definition.jobs:
        root = xml_root(jobconfig.render_job(job))
        for element in root.iter():
            if "plugin" in element.attrib:
                element.set("plugin", element.get("plugin", "") + "@1.2.3")
        jenkins_env.add_job(job.full_name, ElementTree.tostring(root, encoding="unicode"))
    assert "unchanged" in run_cli(capsys, "jenkins", "sync")[1]
    assert jenkins_env.config_posts == []


def test_the_rendered_jobs_hold_the_definition_escaped(definition: Definition) -> None:
    build_job, deploy_job = definition.jobs
    tricky = PipelineJob(**{**build_job.__dict__,
                            "repository_url": "https://h/a.git?x=1&y=<2>"})
    root = xml_root(jobconfig.render_job(tricky))
    assert root.findtext(".//hudson.plugins.git.UserRemoteConfig/url") == tricky.repository_url
    assert root.findtext(".//scriptPath") == build_job.script_path
    assert root.findtext(".//hudson.plugins.git.BranchSpec/name") == build_job.branch
    assert root.findtext(".//hudson.triggers.SCMTrigger/spec") == build_job.poll_schedule
    assert root.findtext(".//credentialsId") == build_job.scm_credentials
    assert root.find(".//hudson.model.ParametersDefinitionProperty") is None
    assert root.findtext(".//lightweight") == "false"
    deploy = xml_root(jobconfig.render_job(deploy_job))
    assert deploy.findtext(".//hudson.plugins.git.BranchSpec/name") == "refs/heads/main"
    assert deploy.findtext(".//lightweight") == "true"
    assert [element.text for element in deploy.iter("string")] == [
        "production", "staging", "none"]


def test_configs_differ_when_a_value_differs(definition: Definition) -> None:
    build_job = definition.jobs[0]
    other = PipelineJob(**{**build_job.__dict__, "script_path": "ci/Jenkinsfile"})
    assert not jobconfig.same_config(jobconfig.render_job(build_job),
                                     jobconfig.render_job(other))
    assert not jobconfig.same_config("<not xml", jobconfig.render_job(build_job))


def test_the_deploy_job_offers_redeploy_build_empty_by_default(definition: Definition) -> None:
    """A string parameter (Jenkins trims it), after DEPLOY_TO; the build job has none."""
    build_job, deploy_job = definition.jobs
    root = xml_root(jobconfig.render_job(deploy_job))
    definitions = root.find(".//hudson.model.ParametersDefinitionProperty/parameterDefinitions")
    assert definitions is not None
    assert [(element.tag, element.findtext("name")) for element in definitions] == [
        ("hudson.model.ChoiceParameterDefinition", "DEPLOY_TO"),
        ("hudson.model.StringParameterDefinition", "REDEPLOY_BUILD")]
    redeploy = definitions[1]
    assert (redeploy.findtext("defaultValue"), redeploy.findtext("trim")) == ("", "true")
    assert "build number" in (redeploy.findtext("description") or "")
    assert "REDEPLOY_BUILD" not in jobconfig.render_job(build_job)


def test_a_deploy_job_without_redeploy_build_is_updated_by_sync(
        jenkins_env: FakeJenkins, definition: Definition,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A controller synced before the parameter existed gets it at the next sync."""
    (folder,) = definition.folders
    jenkins_env.add_job(folder, jobconfig.render_folder())
    build_job, deploy_job = definition.jobs
    older = PipelineJob(**{**deploy_job.__dict__, "parameters": deploy_job.parameters[:1]})
    jenkins_env.add_job(build_job.full_name, jobconfig.render_job(build_job))
    jenkins_env.add_job(deploy_job.full_name, jobconfig.render_job(older))
    code, out, _ = run_cli(capsys, "jenkins", "sync")
    assert code == 0 and f"'{deploy_job.full_name}' updated" in out
    assert "<name>REDEPLOY_BUILD</name>" in jenkins_env.jobs[deploy_job.full_name]
    assert jenkins_env.config_posts == [deploy_job.full_name]
