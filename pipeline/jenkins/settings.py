"""Where Jenkins is and who we are (the environment), and what the jobs are (setup.cfg and the
Jenkinsfile's own declarations).

Credentials come only from the environment (``JENKINS_USER``/``JENKINS_TOKEN``), never from
setup.cfg, so they stay out of the repository.
"""
import ipaddress
import os
import re
from dataclasses import dataclass, fields
from typing import Mapping
from urllib.parse import urlsplit

from pipeline.core.config import Config
from pipeline.core.errors import InputError
from pipeline.jenkins.jenkinsfile import Declarations

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
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InputError(f"JENKINS_URL is not an http(s) URL: {url}")
        if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
            raise InputError(f"JENKINS_URL {url} would send the API token in clear: use "
                             "https:// (plain http only to this machine: localhost, "
                             "127.0.0.1, [::1])")
        return cls(url=url.rstrip("/") + "/", user=env["JENKINS_USER"],
                   token=env["JENKINS_TOKEN"])


@dataclass(frozen=True)
class JobSettings:
    """The jobs as the configuration's ``jenkins_*`` keys and the Jenkinsfile describe them."""

    job_name: str
    repository_url: str
    branch_spec: str
    jenkinsfile: str
    poll_schedule: str
    scm_credentials: str
    declared: Declarations

    @classmethod
    def from_config(cls, config: Config) -> "JobSettings":
        """Every ``jenkins_<field>`` key, required and non-empty, and the Jenkinsfile's
        constants."""
        values = {}
        for field in fields(cls):
            if field.name == "declared":
                continue
            key = f"jenkins_{field.name}"
            value = config.text(key)
            if not value:
                raise InputError(f"{config.source}: '{key}' is empty")
            values[field.name] = value
        if not is_git_url(values["repository_url"]):
            raise InputError(f"{config.source}: 'jenkins_repository_url' is not a "
                             f"git URL: {values['repository_url']}")
        declared = Declarations.read(config.root / values["jenkinsfile"])
        folder, _, _ = declared.deploy_job.rpartition("/")
        if not folder:
            raise InputError(f"{values['jenkinsfile']}: DEPLOY_JOB '{declared.deploy_job}' must "
                             "be inside a folder: the folder holds its credentials")
        if values["job_name"].startswith(folder + "/"):
            raise InputError(f"{config.source}: 'jenkins_job_name' "
                             f"'{values['job_name']}' is inside '{folder}', the folder of the "
                             "deploy credentials: branch builds would see them")
        return cls(declared=declared, **values)

    @property
    def deploy_folder(self) -> str:
        """The folder of the deploy job: its credentials live there and nowhere else."""
        return self.declared.deploy_job.rpartition("/")[0]


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine: ``localhost`` or a loopback address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_git_url(url: str) -> bool:
    """A URL git can clone: ``scheme://...`` or scp-like ``user@host:path``."""
    return urlsplit(url).scheme in GIT_URL_SCHEMES or bool(SCP_LIKE_URL.match(url))
