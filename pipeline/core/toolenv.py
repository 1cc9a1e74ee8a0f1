"""The environment the quality tools (lint, typecheck, test) run in.

By default the library's own: flake8, mypy, pytest and coverage come with it. A service whose
tests need its own packages (Django and pytest-django, mypy's stubs) lists its
``test_requirements``; the tools then run in a virtualenv built from them under
``test_env_dir``, so its tests import what it imports and mypy sees what it uses. That
environment is built once and reused while its inputs stay the same: a fingerprint of the
requirement files' contents, the tools and this Python, written last, so an install cut short
is redone, never half-used.
"""
import fcntl
import hashlib
import json
import re
import shlex
import shutil
import sys
import time
import venv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.core import proc
from pipeline.core.config import Config
from pipeline.core.errors import InputError

LINT_TOOLS = ("flake8", "ruff")
# What the stages run besides the lint tool; unpinned, so the service's own pins decide.
TOOLS = ("mypy", "pytest", "pytest-xdist", "coverage[toml]")
FINGERPRINT = "pipeline-fingerprint.json"
LOG = "test-env.log"
# The files a local project (`.`, `.[test]`) takes its requirements from.
PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py")
_INCLUDE = re.compile(r"^\s*(?:-r|-c|--requirement|--constraint)[\s=]+(\S+)")


def lint_tool(config: Config) -> str:
    """The configured lint tool; anything but flake8 or ruff is one line naming the key."""
    return config.matching("lint_tool", re.compile("|".join(LINT_TOOLS)),
                           expected=" or ".join(LINT_TOOLS))


def python(config: Config) -> str | None:
    """The interpreter the quality tools run with: ``None`` for the library's own (no
    ``test_requirements``), else the test environment's, (re)built first when needed."""
    requirements = config.items("test_requirements")
    if not requirements:
        return None
    env = config.path("test_env_dir")
    arguments = pip_arguments(config, requirements)
    tools = (lint_tool(config), *TOOLS)
    fingerprint = fingerprint_of(config.root, arguments, tools)
    with _locked(env):
        marker = env / FINGERPRINT
        if marker.is_file() and marker.read_text(encoding="utf-8") == fingerprint:
            print(f"test environment: {config.display(env)} is up to date")
        else:
            _build(config, env, [*arguments, *tools])
            marker.write_text(fingerprint, encoding="utf-8")
    return str(env / "bin" / "python")


def pip_arguments(config: Config, requirements: tuple[str, ...]) -> list[str]:
    """``pip install`` arguments: a file of the project is ``-r FILE``, anything else (a
    requirement, ``.[test]``, ``-e .``) goes as written (shell words)."""
    arguments = []
    for item in requirements:
        words = shlex.split(item)
        if len(words) == 1 and (config.root / words[0]).is_file():
            arguments += ["-r", words[0]]
        elif len(words) == 1 and words[0].endswith((".txt", ".in")):
            raise InputError(f"{config.where('test_requirements')}: no such file {words[0]}")
        else:
            arguments += words
    return arguments


def fingerprint_of(root: Path, arguments: list[str], tools: tuple[str, ...]) -> str:
    """What the environment is made of: any change means a rebuild."""
    files = {}
    for word in arguments:
        path = root / word.partition("[")[0]
        candidates = [path / name for name in PROJECT_FILES] if path.is_dir() else [path]
        for candidate in candidates:
            for found in _requirement_files(candidate):
                files[str(found.relative_to(root) if found.is_relative_to(root) else found)] = \
                    hashlib.sha256(found.read_bytes()).hexdigest()
    return json.dumps({"python": [sys.executable, sys.version], "pip": arguments,
                       "tools": tools, "files": files}, indent=1, sort_keys=True) + "\n"


def _requirement_files(path: Path, seen: frozenset[Path] = frozenset()) -> Iterator[Path]:
    """``path`` when it is a file, and the files it includes (``-r``, ``-c``), recursively."""
    if not path.is_file() or path in seen:
        return
    yield path
    if path.suffix in (".txt", ".in"):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = _INCLUDE.match(line)
            if match:
                yield from _requirement_files(path.parent / match.group(1), seen | {path})


@contextmanager
def _locked(env: Path) -> Iterator[None]:
    """One build at a time: two stages started together must not install into one another."""
    env.parent.mkdir(parents=True, exist_ok=True)
    with (env.parent / f"{env.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _build(config: Config, env: Path, arguments: list[str]) -> None:
    """A fresh virtualenv with ``arguments`` installed; pip's output streams and is kept."""
    if env.exists():
        if not (env / "pyvenv.cfg").is_file() and any(env.iterdir()):
            raise InputError(f"{config.where('test_env_dir')}: {config.display(env)} exists and "
                             "is not a virtualenv; choose another path")
        shutil.rmtree(env)
    started = time.monotonic()
    log = config.reports_dir / LOG
    print(f"test environment: creating {config.display(env)} with Python "
          f"{sys.version.split()[0]}")
    venv.create(env, with_pip=True)
    print(f"test environment: pip install {shlex.join(arguments)} (log: {config.display(log)})")
    code = proc.run([str(env / "bin" / "python"), "-m", "pip", "install", "--progress-bar=off",
                     "--disable-pip-version-check", *arguments], cwd=config.root, log_file=log)
    if code != 0:
        raise InputError(f"the test environment's pip install failed (exit code {code}): "
                         f"see {config.display(log)}")
    print(f"test environment: ready in {time.monotonic() - started:.0f} s")
