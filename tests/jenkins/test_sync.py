"""``jenkins sync`` against the fake: create, leave alone when equal, update when different."""
import xml.etree.ElementTree as ElementTree

import pytest

from pipeline.core import config
from pipeline.jenkins import jobconfig
from pipeline.jenkins.settings import JobSettings
from tests.jenkins.conftest import run_cli
from tests.jenkins.fake_jenkins import FakeJenkins


@pytest.fixture
def job() -> JobSettings:
    return JobSettings.from_config(config.load())


def test_sync_creates_then_changes_nothing_then_updates(
        jenkins_env: FakeJenkins, job: JobSettings, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_cli(capsys, "jenkins", "sync")[:2] == (
        0, f"job '{job.job_name}' created at {jenkins_env.url}job/{job.job_name}/\n")
    assert jenkins_env.jobs[job.job_name] == jobconfig.render(job)

    code, out, _ = run_cli(capsys, "jenkins", "sync")
    assert (code, "unchanged" in out) == (0, True)
    assert jenkins_env.config_posts == [job.job_name]

    monkeypatch.setenv("PIPELINE_JENKINS_BRANCH_SPEC", "*/main")
    code, out, _ = run_cli(capsys, "jenkins", "sync")
    assert (code, "updated" in out) == (0, True)
    assert "<name>*/main</name>" in jenkins_env.jobs[job.job_name]
    assert jenkins_env.config_posts == [job.job_name, job.job_name]


def test_a_config_jenkins_reformatted_counts_as_unchanged(
        jenkins_env: FakeJenkins, job: JobSettings, capsys: pytest.CaptureFixture[str]) -> None:
    root = ElementTree.fromstring(jobconfig.render(job).split("?>", 1)[1])
    for element in root.iter():
        if "plugin" in element.attrib:
            element.set("plugin", element.get("plugin", "") + "@1.2.3")
    jenkins_env.add_job(job.job_name, ElementTree.tostring(root, encoding="unicode"))
    assert "unchanged" in run_cli(capsys, "jenkins", "sync")[1]
    assert jenkins_env.config_posts == []


def test_rendered_config_holds_the_settings_escaped(job: JobSettings) -> None:
    tricky = JobSettings(**{**job.__dict__, "repository_url": "https://h/a.git?x=1&y=<2>"})
    root = ElementTree.fromstring(jobconfig.render(tricky).split("?>", 1)[1])
    assert root.findtext(".//hudson.plugins.git.UserRemoteConfig/url") == tricky.repository_url
    assert root.findtext(".//scriptPath") == job.jenkinsfile
    assert root.findtext(".//hudson.plugins.git.BranchSpec/name") == job.branch_spec
    assert root.findtext(".//hudson.triggers.SCMTrigger/spec") == job.poll_schedule
    assert root.findtext(".//credentialsId") == job.scm_credentials


def test_configs_differ_when_a_value_differs(job: JobSettings) -> None:
    other = JobSettings(**{**job.__dict__, "jenkinsfile": "ci/Jenkinsfile"})
    assert not jobconfig.same_config(jobconfig.render(job), jobconfig.render(other))
    assert not jobconfig.same_config("<not xml", jobconfig.render(job))
