"""A python-jenkins connection whose failures become one clear line and the contract's exit code.

Unreachable server: exit 1 (nothing could be done, try again). Bad credentials, missing
permission and unknown jobs or builds: exit 2 (the input is wrong).
"""
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jenkins
import requests

from pipeline.core.errors import InputError, StageFailed
from pipeline.jenkins import post_receive
from pipeline.jenkins.settings import ServerSettings

TIMEOUT_SECONDS = 15


def connect(server: ServerSettings) -> jenkins.Jenkins:
    """A client whose credentials were checked, so later errors are about the request."""
    client = jenkins.Jenkins(server.url, username=server.user, password=server.token,
                             timeout=TIMEOUT_SECONDS)
    with translated(server):
        client.get_whoami()
    return client


def http_status(error: BaseException) -> int | None:
    """The HTTP status behind a python-jenkins error, which keeps it only in a chained one."""
    cause: BaseException | None = error
    while cause is not None:
        response: Any = getattr(cause, "response", None)
        if response is not None:
            return int(response.status_code)
        cause = cause.__cause__ or cause.__context__
    return None


@contextmanager
def translated(server: ServerSettings, what: str = "") -> Iterator[None]:
    """Turn python-jenkins and requests failures into the pipeline's errors, one line each.

    ``what`` names the thing asked for ("job 'app'"); a 404 becomes "Jenkins has no <what>".
    """
    try:
        yield
    except (requests.ConnectionError, requests.Timeout, jenkins.TimeoutException) as error:
        raise StageFailed(f"cannot reach Jenkins at {server.url}: "
                          f"{type(error).__name__}") from error
    except jenkins.NotFoundException as error:
        raise InputError(f"Jenkins at {server.url} has no {what or 'such item'}") from error
    except (jenkins.JenkinsException, requests.HTTPError) as error:
        status = http_status(error)
        if status == 401:
            raise InputError(f"Jenkins at {server.url} refused the credentials of "
                             f"'{server.user}' (HTTP 401): check JENKINS_USER and "
                             "JENKINS_TOKEN") from error
        if status == 403:
            raise InputError(f"Jenkins at {server.url} does not allow '{server.user}' "
                             f"this{' on ' + what if what else ''} (HTTP 403)") from error
        if status == 404:
            raise InputError(f"Jenkins at {server.url} has no {what or 'such item'}") from error
        first_line = (str(error).splitlines() or [type(error).__name__])[0]
        raise StageFailed(f"Jenkins at {server.url}: {first_line}") from error


def request(client: jenkins.Jenkins, method: str, path: str) -> requests.Response:
    """An API call python-jenkins has no method for, with its auth and crumb handling."""
    return client.jenkins_request(requests.Request(method, client.server + path))


def job_path(job: str, number: int | None = None) -> str:
    """``job/NAME/`` or ``job/NAME/N/``, quoted as Jenkins expects, folders included."""
    path = post_receive.job_path(job)
    return path if number is None else f"{path}{number}/"
