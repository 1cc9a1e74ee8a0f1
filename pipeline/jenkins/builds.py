"""``jenkins build``: queue a build, learn its number, stream its console, judge its result.

Jenkins answers a build request with a queue item, not a build: the build number exists only
once an executor takes the item. The console is read with ``logText/progressiveText``, which
returns the text from an offset plus ``X-Text-Size`` (the next offset) and ``X-More-Data`` (set
while the build runs), so each poll prints only what is new.
"""
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TextIO

import jenkins

from pipeline.core.errors import InputError, StageFailed
from pipeline.jenkins.client import job_path, request, translated
from pipeline.jenkins.settings import ServerSettings

PASSED = "SUCCESS"


@dataclass(frozen=True)
class Polling:
    """How often to ask and how long to wait for an executor; tests make these short."""

    interval: float = 2.0
    queue_timeout: float = 3600.0
    sleep: Callable[[float], None] = time.sleep


def parse_parameters(pairs: list[str]) -> dict[str, str]:
    """``["K=V", ...]`` from ``--param``; a pair without ``=`` or a name is an input error."""
    parameters = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise InputError(f"--param expects NAME=VALUE, got '{pair}'")
        parameters[name.strip()] = value
    return parameters


def start_build(client: jenkins.Jenkins, server: ServerSettings, job: str,
                parameters: Mapping[str, str], polling: Polling = Polling()) -> int:
    """Queue a build of ``job`` and wait until an executor gives it a number."""
    with translated(server, f"job '{job}'"):
        if client.get_job_name(job) is None:
            raise InputError(f"Jenkins at {server.url} has no job '{job}'")
        queue_id = client.build_job(job, dict(parameters) or None)
        waited = 0.0
        while True:
            item = client.get_queue_item(queue_id)
            if item.get("cancelled"):
                raise StageFailed(f"queued build of '{job}' was cancelled")
            executable = item.get("executable")
            if executable:
                return int(executable["number"])
            if waited >= polling.queue_timeout:
                raise StageFailed(f"build of '{job}' still queued after {waited:.0f}s: "
                                  f"{item.get('why', 'no reason given')}")
            polling.sleep(polling.interval)
            waited += polling.interval


def follow(client: jenkins.Jenkins, server: ServerSettings, job: str, number: int,
           polling: Polling = Polling(), out: TextIO | None = None) -> str:
    """Print the build's console as it grows until the build ends; return its result."""
    stream = sys.stdout if out is None else out
    offset = 0
    with translated(server, f"build #{number} of '{job}'"):
        while True:
            response = request(client, "GET", job_path(job, number)
                               + f"logText/progressiveText?start={offset}")
            stream.write(response.text)
            stream.flush()
            offset = int(response.headers.get("X-Text-Size", offset))
            if response.headers.get("X-More-Data") != "true":
                break
            polling.sleep(polling.interval)
        while True:
            result = client.get_build_info(job, number).get("result")
            if result is not None:
                return str(result)
            polling.sleep(polling.interval)


def require_success(job: str, number: int, result: str) -> None:
    """Exit 1 unless the build passed: UNSTABLE, FAILURE, ABORTED and NOT_BUILT all fail."""
    if result != PASSED:
        raise StageFailed(f"build #{number} of '{job}' ended {result}")
