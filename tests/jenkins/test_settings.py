"""Settings: the server from the environment, the jobs from setup.cfg and the Jenkinsfile's
declarations; bad values are one line."""
import dataclasses
import shutil
from pathlib import Path

import pytest

from pipeline.core import config
from pipeline.core.errors import InputError
from pipeline.jenkins.settings import JobSettings, ServerSettings, is_git_url


def test_server_settings_need_url_user_and_token() -> None:
    with pytest.raises(InputError, match="set JENKINS_USER, JENKINS_TOKEN"):
        ServerSettings.from_environ({"JENKINS_URL": "https://ci:8080"})
    with pytest.raises(InputError, match="not an http"):
        ServerSettings.from_environ({"JENKINS_URL": "ci:8080", "JENKINS_USER": "u",
                                     "JENKINS_TOKEN": "t"})
    server = ServerSettings.from_environ({"JENKINS_URL": "https://ci:8080/jenkins",
                                          "JENKINS_USER": "u", "JENKINS_TOKEN": "t"})
    assert server.url == "https://ci:8080/jenkins/"


def test_job_settings_come_from_setup_cfg_and_the_jenkinsfile() -> None:
    job = JobSettings.from_config(config.load())
    assert job.job_name and job.jenkinsfile == "Jenkinsfile"
    assert job.declared.main_branch == "main"
    assert job.deploy_folder == job.declared.deploy_job.rpartition("/")[0] != ""


@pytest.mark.parametrize(("key", "value", "message"), [
    ("JOB_NAME", "  ", "'jenkins_job_name' is empty"),
    ("REPOSITORY_URL", "not a url", "'jenkins_repository_url' is not a git URL"),
    ("JOB_NAME", "deploy/branches", "is inside 'deploy', the folder of the deploy credentials"),
    ("JENKINSFILE", "ci/Jenkinsfile", "cannot read"),
])
def test_bad_job_settings_name_the_key(monkeypatch: pytest.MonkeyPatch, key: str, value: str,
                                       message: str) -> None:
    monkeypatch.setenv(f"PIPELINE_JENKINS_{key}", value)
    with pytest.raises(InputError, match=message):
        JobSettings.from_config(config.load())


def test_every_job_field_is_a_setup_cfg_key() -> None:
    settings = config.load().settings
    assert all(f"jenkins_{field.name}" in settings for field in dataclasses.fields(JobSettings)
               if field.name != "declared")


def test_the_deploy_job_must_be_in_a_folder(tmp_path: Path) -> None:
    root = config.load().root
    shutil.copy(root / "setup.cfg", tmp_path / "setup.cfg")
    text = (root / "Jenkinsfile").read_text(encoding="utf-8")
    (tmp_path / "Jenkinsfile").write_text(text.replace(
        "DEPLOY_JOB = 'deploy/visitor-counter-deploy'", "DEPLOY_JOB = 'deployer'"),
        encoding="utf-8")
    with pytest.raises(InputError, match="DEPLOY_JOB 'deployer' must be inside a folder"):
        JobSettings.from_config(config.load(tmp_path))


@pytest.mark.parametrize(("url", "valid"), [
    ("https://git.example.com/team/app.git", True), ("git@git.example.com:team/app.git", True),
    ("file:///srv/git/app.git", True), ("ssh://git@host/app.git", True),
    ("/srv/git/app.git", False), ("app", False)])
def test_git_urls(url: str, valid: bool) -> None:
    assert is_git_url(url) is valid
