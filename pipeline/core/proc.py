"""The one helper every stage uses to run an external tool.

Output is streamed live (Jenkins shows it as it comes), masked for secrets, and copied into a
log file under ``reports_dir`` so nothing is lost when the console scrolls away. With ``-v`` each
command is echoed first, masked like its output.
"""
import importlib.util
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Mapping, Sequence, TextIO

from pipeline.core import output
from pipeline.core.errors import InputError, missing_module
from pipeline.core.secrets import mask, secret_values


def python_tool(module: str, *args: str, python: str | None = None) -> list[str]:
    """The command line that runs ``module`` with this interpreter, so the venv's tool is used,
    or with ``python``, another environment's (the service's test environment), which brings
    its own tools.

    A tool that is not installed here is refused here, naming the extra that brings it, rather
    than failing later inside the tool's own output.
    """
    if python is None and importlib.util.find_spec(module.partition(".")[0]) is None:
        raise missing_module(module)
    return [python or sys.executable, "-m", module, *args]


def run(command: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None,
        log_file: Path | None = None, out: TextIO | None = None,
        inherit: Mapping[str, str] | None = None) -> int:
    """Run ``command``, stream its merged output line by line, and return its exit code.

    It sees ``inherit`` (default: this process's environment) with ``env`` on top.
    """
    stream = sys.stdout if out is None else out
    full_env = {**(os.environ if inherit is None else inherit), **(env or {})}
    secrets = secret_values(full_env)
    if output.verbosity() >= output.Verbosity.VERBOSE:
        stream.write(mask(f"+ {shlex.join(command)}\n", secrets))
        stream.flush()
    log = None
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        log = log_file.open("w", encoding="utf-8")
    try:
        try:
            process = subprocess.Popen(list(command), cwd=cwd, env=full_env, text=True,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, bufsize=1, errors="replace")
        except FileNotFoundError as error:
            raise InputError(f"cannot run {command[0]}: {error.strerror}") from error
        try:
            assert process.stdout is not None
            for line in process.stdout:
                line = mask(line, secrets)
                stream.write(line)
                stream.flush()
                if log is not None:
                    log.write(line)
            return process.wait()
        except BaseException:
            _stop(process)
            raise
    finally:
        if log is not None:
            log.close()


# How long a tool has to end after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 10.0


def _stop(process: "subprocess.Popen[str]") -> None:
    """End the tool and wait for it: when this process is stopped (SIGTERM, Ctrl-C), nothing it
    ran may go on acting, a deploy's playbook least of all, whose lock is freed next. The tool
    stays in this process group, so a signal to the whole group (a lost agent) still reaches
    it; ansible-playbook ends its own workers on SIGTERM."""
    process.terminate()
    try:
        process.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
