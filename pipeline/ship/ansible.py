"""Running Ansible playbooks: the command line, live output, and what failed where.

ansible-playbook runs through ``proc`` (streamed, masked, logged). What failed is not read from
that text: the library's callback plugin (pipeline/ansible/callback_plugins/pipeline_results.py)
writes the failing host, task and message, and every host's totals, as JSON.
"""
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core import proc
from pipeline.core.errors import InputError, StageFailed

ExtraVars = Mapping[str, object]
RESULTS_ENV = "PIPELINE_ANSIBLE_RESULTS"


@dataclass(frozen=True)
class TaskFailure:
    """A task that failed on a host (the last one there), or the host was unreachable."""

    host: str
    task: str
    message: str
    unreachable: bool = False
    input: bool = False  # at a task tagged `input`: what the caller asked for does not exist

    def describe(self) -> str:
        """One line: where and why."""
        if self.unreachable:
            return f"host {self.host} is unreachable ({self.message})"
        detail = f": {self.message}" if self.message else ""
        return f"failed on host {self.host} at task '{self.task}'{detail}"


@dataclass(frozen=True)
class PlaybookResult:
    """What the callback plugin reported: failures, and per host ok/changed/failures/... counts."""

    failures: tuple[TaskFailure, ...] = ()
    hosts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    def changed(self) -> int:
        """Tasks that changed something, over every host."""
        return sum(totals.get("changed", 0) for totals in self.hosts.values())


def read_results(path: Path) -> PlaybookResult:
    """The callback's JSON (an empty result when the run ended before writing it)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return PlaybookResult()
    failures = tuple(TaskFailure(str(item["host"]), str(item["task"]), str(item["message"]),
                                 bool(item.get("unreachable")), bool(item.get("input")))
                     for item in data["failures"])
    return PlaybookResult(failures, data["hosts"])


def playbook_command(playbook: Path, inventory: Path, limit: str = "") -> list[str]:
    """The ansible-playbook command line, run with this interpreter (the venv's Ansible).

    Extra variables are added as ``@FILE``, never as text, so nothing in them shows in ``ps``.
    ``limit``: a host pattern the run is restricted to (``--limit``), e.g. to leave out a host.
    """
    return proc.python_tool("ansible.cli.playbook", "-i", str(inventory), str(playbook),
                            *(["--limit", limit] if limit else []))


def ansible_env(ansible_dir: Path) -> dict[str, str]:
    """Point Ansible at the project's ansible.cfg whatever the working directory."""
    return {"ANSIBLE_CONFIG": str(ansible_dir / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0", "PYTHONUNBUFFERED": "1"}


def run_playbook(ansible_dir: Path, playbook: str, inventory: Path, extra_vars: ExtraVars,
                 what: str, log_file: Path | None = None, quiet: bool = False,
                 limit: str = "") -> PlaybookResult:
    """Run ``playbook`` streaming its tasks (``quiet``: to the log only); a failure names the
    host and the task."""
    with tempfile.TemporaryDirectory(prefix="pipeline-ansible-") as work:
        results = Path(work) / "results.json"
        command = playbook_command(ansible_dir / playbook, inventory, limit)
        if extra_vars:
            variables = Path(work) / "extra-vars.json"
            descriptor = os.open(variables, os.O_WRONLY | os.O_CREAT, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(dict(extra_vars), handle)
            command += ["--extra-vars", f"@{variables}"]
        env = {**ansible_env(ansible_dir), RESULTS_ENV: str(results)}
        with open(os.devnull, "w", encoding="utf-8") as devnull:
            code = proc.run(command, cwd=ansible_dir, env=env, log_file=log_file,
                            out=devnull if quiet else None)
        result = read_results(results)
    if code == 0:
        return result
    if not result.failures:
        raise StageFailed(f"{what} failed: ansible-playbook {playbook} exited {code}")
    failure = result.failures[0]
    raise (InputError if failure.input else StageFailed)(f"{what} {failure.describe()}")
