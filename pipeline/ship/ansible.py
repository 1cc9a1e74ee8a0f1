"""Running Ansible playbooks: the command line, live per-task progress, and what failed where.

ansible-playbook runs through ``proc`` (streamed, masked, logged); its default output already
reads task by task, so a watcher only picks out the first failing host and task for the error.
"""
import io
import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO, cast

from pipeline.core import proc
from pipeline.core.errors import StageFailed

ExtraVars = Mapping[str, str | int | bool]

_TASK = re.compile(r"^TASK \[(?P<task>.*?)\] \**$")
# A task's failure, or one item's failure in a loop.
_FATAL = re.compile(r"^(?:fatal: \[(?P<host>[^\]]+)\]: (?:FAILED|UNREACHABLE)!"
                    r"|failed: \[(?P<item_host>[^\]]+)\] \(item=.*\)) =>(?P<rest>.*)$")
_MESSAGE = re.compile(r"^\s*\"?msg\"?:\s*(?P<msg>.+?),?$")
# YAML block scalars: the message is on the lines that follow.
_BLOCK_INDICATORS = ("|", "|-", "|+", ">", ">-", ">+")
_IGNORING = "...ignoring"


@dataclass(frozen=True)
class TaskFailure:
    """The first task that failed (and was not ignored), on which host, and why."""

    host: str
    task: str
    message: str


class ProgressWatcher(io.TextIOBase):
    """Passes ansible-playbook's output through and remembers the first real failure."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream = stream
        self._task = ""
        self._candidate: TaskFailure | None = None
        self._awaiting_message = False
        self._block_indent: int | None = None
        self._block: list[str] = []
        self._partial = ""
        self.failure: TaskFailure | None = None

    def write(self, text: str) -> int:
        """Forward ``text``; every complete line of it updates what the watcher knows."""
        self._stream.write(text)
        self._stream.flush()
        *lines, self._partial = (self._partial + text).split("\n")
        for line in lines:
            self._read_line(line)
        return len(text)

    def close_run(self) -> TaskFailure | None:
        """The failure, once the output is over (a last candidate counts)."""
        if self._partial:
            self._read_line(self._partial)
            self._partial = ""
        self._settle()
        return self.failure

    def _read_line(self, line: str) -> None:
        if line.strip() == _IGNORING:
            self._candidate = None
            return
        task = _TASK.match(line)
        fatal = _FATAL.match(line)
        if task or fatal:
            self._settle()
        if task:
            self._task = task.group("task")
        elif fatal:
            host = fatal.group("host") or fatal.group("item_host")
            self._candidate = TaskFailure(host, self._task, _message(fatal.group("rest")))
            self._awaiting_message = not self._candidate.message
        elif self._candidate is not None:
            self._read_result_line(self._candidate, line)

    def _read_result_line(self, candidate: TaskFailure, line: str) -> None:
        """Pick ``msg`` out of a YAML result, whether inline or a block scalar."""
        indent = len(line) - len(line.lstrip())
        if self._block_indent is not None:
            if line.strip() and indent > self._block_indent:
                self._block.append(line.strip())
                return
            message = " ".join(self._block)
            self._candidate = replace(candidate, message=message)
            self._block_indent = None
            return
        if not self._awaiting_message:
            return
        found = _MESSAGE.match(line)
        if found is None:
            return
        message = _unquote(found.group("msg"))
        self._awaiting_message = False
        if message in _BLOCK_INDICATORS:
            self._block_indent, self._block = indent, []
        else:
            self._candidate = replace(candidate, message=message)

    def _settle(self) -> None:
        if self._candidate is not None and self._block_indent is not None:
            self._candidate = replace(self._candidate, message=" ".join(self._block))
        if self._candidate is not None and self.failure is None:
            self.failure = self._candidate
        self._candidate = None
        self._awaiting_message = False
        self._block_indent = None


def _message(rest: str) -> str:
    """The ``msg`` of a one-line JSON result, if the result is on the fatal line itself."""
    try:
        result = json.loads(rest)
    except ValueError:
        return ""
    return str(result.get("msg", "")) if isinstance(result, dict) else ""


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def playbook_command(playbook: Path, inventory: Path, extra_vars: ExtraVars) -> list[str]:
    """The ansible-playbook command line, run with this interpreter (the venv's Ansible)."""
    command = proc.python_tool("ansible.cli.playbook", "-i", str(inventory), str(playbook))
    if extra_vars:
        command += ["--extra-vars", json.dumps(dict(extra_vars), sort_keys=True)]
    return command


def ansible_env(ansible_dir: Path) -> dict[str, str]:
    """Point Ansible at the project's ansible.cfg whatever the working directory."""
    return {"ANSIBLE_CONFIG": str(ansible_dir / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0", "PYTHONUNBUFFERED": "1"}


def run_playbook(ansible_dir: Path, playbook: str, inventory: Path, extra_vars: ExtraVars,
                 what: str, log_file: Path | None = None) -> None:
    """Run ``playbook`` streaming its tasks; a failure names the host and the task."""
    watcher = ProgressWatcher(sys.stdout)
    command = playbook_command(ansible_dir / playbook, inventory, extra_vars)
    code = proc.run(command, cwd=ansible_dir, env=ansible_env(ansible_dir), log_file=log_file,
                    out=cast(TextIO, watcher))
    failure = watcher.close_run()
    if code == 0:
        return
    if failure is None:
        raise StageFailed(f"{what} failed: ansible-playbook {playbook} exited {code}")
    detail = f": {failure.message}" if failure.message else ""
    raise StageFailed(f"{what} failed on host {failure.host} at task '{failure.task}'{detail}")
