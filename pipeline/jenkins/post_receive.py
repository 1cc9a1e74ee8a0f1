#!/usr/bin/env python3
"""git post-receive hook: tell Jenkins which branches were pushed (installed by
``pipeline hooks install``; standard library only, since it runs on the git server).

It calls the git plugin's ``/git/notifyCommit?url=REPO&branches=B`` for each pushed branch;
Jenkins then polls the jobs that clone REPO and builds what changed. With an access token it
also sends ``sha1=SHA`` (build exactly that commit), which Jenkins accepts only with a token;
tokenless polling works when Jenkins runs with
``hudson.plugins.git.GitStatus.NOTIFY_COMMIT_ACCESS_CONTROL=disabled-for-polling``.
Jenkins being down or slow never fails or holds up a push: the refs are already updated when
this runs, each call has a short timeout, and every failure is one line on the pusher's
terminal, with exit status 0.
Settings live in the repository's git config (``jenkins.url``, ``jenkins.repositoryUrl``) and
the optional access token in ``$GIT_DIR/jenkins-notify-token`` (mode 0600).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable

MARKER = "installed by pipeline hooks install"
TOKEN_FILE = "jenkins-notify-token"
ZERO_SHA = "0" * 40
TIMEOUT_SECONDS = 3.0
DEADLINE_SECONDS = 8.0


def pushed_branches(lines: Iterable[str]) -> list[tuple[str, str]]:
    """``(branch, new sha)`` for each updated or created branch; deletions and tags skipped."""
    branches = []
    for line in lines:
        fields = line.split()
        if len(fields) != 3:
            continue
        _old, new, ref = fields
        if ref.startswith("refs/heads/") and new != ZERO_SHA:
            branches.append((ref[len("refs/heads/"):], new))
    return branches


def notify_url(jenkins_url: str, repository_url: str, branch: str, sha: str,
               token: str | None) -> str:
    """The git plugin's notifyCommit URL for one pushed branch."""
    query = {"url": repository_url, "branches": branch}
    if token:
        query.update(sha1=sha, token=token)
    return jenkins_url.rstrip("/") + "/git/notifyCommit?" + urllib.parse.urlencode(query)


def git_config(key: str) -> str:
    completed = subprocess.run(["git", "config", "--get", key], capture_output=True, text=True,
                               check=False)
    return completed.stdout.strip()


def read_token(git_dir: str) -> str | None:
    try:
        with open(os.path.join(git_dir, TOKEN_FILE), encoding="utf-8") as token_file:
            return token_file.read().strip() or None
    except OSError:
        return None


def notify(url: str, timeout: float) -> str:
    """One notification; returns Jenkins' first line, or why it failed (never raises)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="POST", data=b""),
                                    timeout=timeout) as response:
            body = response.read(500).decode("utf-8", "replace").strip()
            return body.splitlines()[0] if body else f"HTTP {response.status}"
    except urllib.error.HTTPError as error:
        return f"Jenkins answered HTTP {error.code}"
    except (OSError, ValueError) as error:
        return f"not notified ({type(error).__name__}: {error})"


def main(stdin: Iterable[str], git_dir: str) -> int:
    jenkins_url = git_config("jenkins.url")
    repository_url = git_config("jenkins.repositoryUrl")
    if not jenkins_url or not repository_url:
        print("jenkins: jenkins.url or jenkins.repositoryUrl not set; not notified",
              file=sys.stderr)
        return 0
    token = read_token(git_dir)
    deadline = time.monotonic() + DEADLINE_SECONDS
    for branch, sha in pushed_branches(stdin):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            print(f"jenkins: out of time, {branch} not notified (polling will find it)",
                  file=sys.stderr)
            continue
        answer = notify(notify_url(jenkins_url, repository_url, branch, sha, token),
                        min(TIMEOUT_SECONDS, remaining))
        print(f"jenkins: {branch} {sha[:8]}: {answer}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.stdin, os.environ.get("GIT_DIR", ".")))
