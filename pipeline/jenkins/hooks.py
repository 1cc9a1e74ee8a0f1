"""``hooks install``: put the Jenkins-notifying post-receive hook into a bare repository.

The hook is :mod:`pipeline.jenkins.post_receive`, copied as it is: it needs only Python's
standard library on the git server, not this package.
"""
import io
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from pipeline.core import proc
from pipeline.core.errors import InputError
from pipeline.jenkins import post_receive
from pipeline.jenkins.settings import ServerSettings

HOOK_SOURCE = Path(post_receive.__file__)
EXECUTABLE = stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH


def install_hook(repo: Path, server: ServerSettings, jobs: Sequence[str]) -> Path:
    """Install (or refresh) the hook, its settings and its account; returns the hook's path.

    A post-receive hook that this command did not write is left alone: nothing is changed.
    """
    if not jobs:
        raise InputError("name at least one job for the hook to notify")
    git_dir = _bare_repository(repo)
    hook = git_dir / "hooks" / "post-receive"
    if hook.exists() and post_receive.MARKER not in hook.read_text(encoding="utf-8",
                                                                   errors="replace"):
        raise InputError(f"{hook} exists and was not installed by pipeline: merge it by hand")
    _git(git_dir, "config", "jenkins.url", server.url)
    _git(git_dir, "config", "--unset-all", "jenkins.job", ok_codes=(0, 5))
    for job in jobs:
        _git(git_dir, "config", "--add", "jenkins.job", job)
    _write_private(git_dir / post_receive.CREDENTIALS_FILE, f"{server.user}:{server.token}\n")
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(HOOK_SOURCE.read_text(encoding="utf-8"), encoding="utf-8")
    hook.chmod(EXECUTABLE)
    return hook


def _bare_repository(repo: Path) -> Path:
    output = io.StringIO()
    if not repo.is_dir() or proc.run(["git", "-C", str(repo), "rev-parse",
                                      "--is-bare-repository"], out=output) != 0 \
            or output.getvalue().strip() != "true":
        raise InputError(f"{repo} is not a bare git repository")
    return repo.resolve()


def _git(git_dir: Path, *args: str, ok_codes: tuple[int, ...] = (0,)) -> None:
    """One git config call; ``ok_codes`` admits, e.g., 5 for unsetting a key never set."""
    output = io.StringIO()
    if proc.run(["git", "--git-dir", str(git_dir), *args], out=output) not in ok_codes:
        raise InputError(f"git {' '.join(args[:2])} failed in {git_dir}: "
                         f"{output.getvalue().strip()}")


def _write_private(path: Path, text: str) -> None:
    """Created 0600 from the start, so the token is never readable by others, even briefly."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as private_file:
        private_file.write(text)
    path.chmod(0o600)
