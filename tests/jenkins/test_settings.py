"""Settings: the server from the environment, the job from setup.cfg; bad values are one line."""
import dataclasses

import pytest

from pipeline.core import config
from pipeline.core.errors import InputError
from pipeline.jenkins.settings import JobSettings, ServerSettings, is_git_url


def test_server_settings_need_url_user_and_token() -> None:
    with pytest.raises(InputError, match="set JENKINS_USER, JENKINS_TOKEN"):
        ServerSettings.from_environ({"JENKINS_URL": "http://ci:8080"})
    with pytest.raises(InputError, match="not an http"):
        ServerSettings.from_environ({"JENKINS_URL": "ci:8080", "JENKINS_USER": "u",
                                     "JENKINS_TOKEN": "t"})
    server = ServerSettings.from_environ({"JENKINS_URL": "http://ci:8080/jenkins",
                                          "JENKINS_USER": "u", "JENKINS_TOKEN": "t"})
    assert server.url == "http://ci:8080/jenkins/"


def test_job_settings_come_from_setup_cfg() -> None:
    job = JobSettings.from_config(config.load())
    assert job.job_name and job.main_branch == "main" and job.jenkinsfile == "Jenkinsfile"


@pytest.mark.parametrize(("key", "value", "message"), [
    ("JOB_NAME", "  ", "'jenkins_job_name' is empty"),
    ("REPOSITORY_URL", "not a url", "'jenkins_repository_url' is not a git URL"),
])
def test_bad_job_settings_name_the_key(monkeypatch: pytest.MonkeyPatch, key: str, value: str,
                                       message: str) -> None:
    monkeypatch.setenv(f"PIPELINE_JENKINS_{key}", value)
    with pytest.raises(InputError, match=message):
        JobSettings.from_config(config.load())


def test_every_job_field_is_a_setup_cfg_key() -> None:
    settings = config.load().settings
    assert all(f"jenkins_{field.name}" in settings for field in dataclasses.fields(JobSettings))


@pytest.mark.parametrize(("url", "valid"), [
    ("https://git.example.com/team/app.git", True), ("git@git.example.com:team/app.git", True),
    ("file:///srv/git/app.git", True), ("ssh://git@host/app.git", True),
    ("/srv/git/app.git", False), ("app", False)])
def test_git_urls(url: str, valid: bool) -> None:
    assert is_git_url(url) is valid
