"""Where Jenkins is and who we are (the environment), and what the job is (setup.cfg).

Credentials come only from the environment (``JENKINS_USER``/``JENKINS_TOKEN``), never from
setup.cfg, so they stay out of the repository.
"""
import os
import re
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urlsplit

from pipeline.core.config import CONFIG_FILE, SECTION, Config
from pipeline.core.errors import InputError

GIT_URL_SCHEMES = ("http", "https", "ssh", "git", "file")
SCP_LIKE_URL = re.compile(r"^[\w.-]+@[\w.-]+:[^/]")


@dataclass(frozen=True)
class ServerSettings:
    """A Jenkins controller and the API token to reach it with."""

    url: str
    user: str
    token: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> "ServerSettings":
        """Read ``JENKINS_URL``, ``JENKINS_USER``, ``JENKINS_TOKEN``; each one is required."""
        env = os.environ if environ is None else environ
        missing = [name for name in ("JENKINS_URL", "JENKINS_USER", "JENKINS_TOKEN")
                   if not env.get(name)]
        if missing:
            raise InputError(f"set {', '.join(missing)} in the environment to reach Jenkins")
        url = env["JENKINS_URL"]
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise InputError(f"JENKINS_URL is not an http(s) URL: {url}")
        return cls(url=url.rstrip("/") + "/", user=env["JENKINS_USER"],
                   token=env["JENKINS_TOKEN"])


@dataclass(frozen=True)
class JobSettings:
    """The pipeline job as setup.cfg's ``[pipeline] jenkins_*`` keys describe it."""

    job_name: str
    repository_url: str
    branch_spec: str
    main_branch: str
    jenkinsfile: str
    poll_schedule: str
    agent_label: str
    approvers: str
    scm_credentials: str
    registry_credentials: str
    vault_credentials: str
    ssh_credentials: str

    @classmethod
    def from_config(cls, config: Config) -> "JobSettings":
        """Every ``jenkins_<field>`` key, required and non-empty."""
        values = {}
        for name in cls.__dataclass_fields__:
            key = f"jenkins_{name}"
            value = config.get(key).strip()
            if not value:
                raise InputError(f"{CONFIG_FILE} [{SECTION}]: '{key}' is empty")
            values[name] = value
        if not is_git_url(values["repository_url"]):
            raise InputError(f"{CONFIG_FILE} [{SECTION}]: 'jenkins_repository_url' is not a "
                             f"git URL: {values['repository_url']}")
        return cls(**values)


def is_git_url(url: str) -> bool:
    """A URL git can clone: ``scheme://...`` or scp-like ``user@host:path``."""
    return urlsplit(url).scheme in GIT_URL_SCHEMES or bool(SCP_LIKE_URL.match(url))
