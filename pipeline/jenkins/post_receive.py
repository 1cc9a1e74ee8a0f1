#!/usr/bin/env python3
"""git post-receive hook: ask Jenkins to poll the jobs that build this repository (installed by
``pipeline hooks install``; standard library only, since it runs on the git server).

When a push updates or creates a branch, it POSTs ``JENKINS/job/<job>/polling`` once for each
configured job; Jenkins then fetches and builds what changed (the deploy job only when the main
branch moved). It signs in as a Jenkins account with that account's API token, sent in the
``Authorization`` header and never in the URL, where access logs and proxies would keep it;
Jenkins asks no CSRF crumb of a request signed with an API token.
Jenkins being down or slow never fails or holds up a push: the refs are already updated when
this runs, each call has a short timeout, and every failure is one line on the pusher's
terminal, with exit status 0.
Settings live in the repository's git config (``jenkins.url``, one ``jenkins.job`` per job) and
the account in ``$GIT_DIR/jenkins-hook-credentials`` (``user:token``, mode 0600).
"""
from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable

MARKER = "installed by pipeline hooks install"
CREDENTIALS_FILE = "jenkins-hook-credentials"
ZERO_SHA = "0" * 40
TIMEOUT_SECONDS = 3.0
DEADLINE_SECONDS = 8.0


class _Unredirected(urllib.request.HTTPRedirectHandler):
    """Jenkins answers a poll request with a redirect to the job's page: that is the answer."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


OPENER = urllib.request.build_opener(_Unredirected)


def pushed_branches(lines: Iterable[str]) -> list[str]:
    """The branches the push updated or created; deletions and tags are skipped."""
    branches = []
    for line in lines:
        fields = line.split()
        if len(fields) != 3:
            continue
        _old, new, ref = fields
        if ref.startswith("refs/heads/") and new != ZERO_SHA:
            branches.append(ref[len("refs/heads/"):])
    return branches


def job_path(job: str) -> str:
    """``job/NAME/``, quoted as Jenkins expects; a job in folders (``a/b``) is
    ``job/a/job/b/``. (pipeline.jenkins.client uses it too: this file must stay standalone.)"""
    return "".join(f"job/{urllib.parse.quote(part, safe='')}/" for part in job.split("/"))


def polling_url(jenkins_url: str, job: str) -> str:
    """``JENKINS/job/a/job/b/polling`` for the job ``a/b``."""
    return jenkins_url.rstrip("/") + "/" + job_path(job) + "polling"


def git_config(*args: str) -> list[str]:
    completed = subprocess.run(["git", "config", *args], capture_output=True, text=True,
                               check=False)
    return completed.stdout.split()


def read_credentials(git_dir: str) -> str | None:
    try:
        with open(os.path.join(git_dir, CREDENTIALS_FILE), encoding="utf-8") as credentials:
            return credentials.read().strip() or None
    except OSError:
        return None


def poll(url: str, credentials: str, timeout: float) -> str:
    """One poll request; returns what Jenkins said, or why it failed (never raises)."""
    authorization = "Basic " + base64.b64encode(credentials.encode("utf-8")).decode("ascii")
    request = urllib.request.Request(url, method="POST", data=b"",
                                     headers={"Authorization": authorization})
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return f"polling scheduled (HTTP {response.status})"
    except urllib.error.HTTPError as error:
        if 300 <= error.code < 400:
            return f"polling scheduled (HTTP {error.code})"
        if error.code in (401, 403):
            return f"Jenkins refused the hook's account (HTTP {error.code})"
        return f"Jenkins answered HTTP {error.code}"
    except (OSError, ValueError) as error:
        return f"not notified ({type(error).__name__}: {error})"


def main(stdin: Iterable[str], git_dir: str) -> int:
    if not pushed_branches(stdin):
        return 0
    urls = git_config("--get", "jenkins.url")
    jobs = git_config("--get-all", "jenkins.job")
    credentials = read_credentials(git_dir)
    if not urls or not jobs or credentials is None:
        print(f"jenkins: jenkins.url, jenkins.job or {CREDENTIALS_FILE} missing; not notified",
              file=sys.stderr)
        return 0
    deadline = time.monotonic() + DEADLINE_SECONDS
    for job in jobs:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            print(f"jenkins: out of time, {job} not notified (its polling schedule will find "
                  "the push)", file=sys.stderr)
            continue
        answer = poll(polling_url(urls[0], job), credentials, min(TIMEOUT_SECONDS, remaining))
        print(f"jenkins: {job}: {answer}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.stdin, os.environ.get("GIT_DIR", ".")))
