"""A small throwaway project for running the real stages against, never this repository."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipeline.core import config as config_module
from pipeline.core.config import Config

REPO_ROOT = Path(__file__).resolve().parents[2]

SETUP_CFG = """\
[pipeline]
stages = lint, typecheck, test, version
lint_paths = sample tests
typecheck_paths = sample
test_args = -p no:cacheprovider

[flake8]
max-line-length = 100

[mypy]
disallow_untyped_defs = True

[tool:pytest]
testpaths = tests

[coverage:run]
branch = True
parallel = True
source = sample

[coverage:report]
fail_under = 80
"""

SAMPLE = '''\
"""A module with one function to test."""


def double(number: int) -> int:
    """Twice the number."""
    return number * 2
'''

TEST_SAMPLE = '''\
from sample import double


def test_double() -> None:
    assert double(2) == 4
'''


def write(root: Path, relative: str, text: str) -> Path:
    """Write a file of the sample project, creating its folders."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A clean project on which lint, typecheck and test all pass."""
    write(tmp_path, "setup.cfg", SETUP_CFG)
    write(tmp_path, "version.txt", "1.4.2+build.7\n")
    write(tmp_path, "sample/__init__.py", SAMPLE)
    write(tmp_path, "tests/__init__.py", "")
    write(tmp_path, "tests/test_sample.py", TEST_SAMPLE)
    write(tmp_path, "pyproject.toml", (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return tmp_path


@pytest.fixture
def project_config(project: Path) -> Config:
    """The configuration of the sample project, with no environment overrides."""
    return config_module.load(project, environ={})


def run_cli(project: Path, *args: str, env: dict[str, str] | None = None,
            python_args: tuple[str, ...] = ("-m", "pipeline")
            ) -> subprocess.CompletedProcess[str]:
    """``python -m pipeline ARGS`` in the project, as Jenkins calls it (or ``python_args``
    in place of ``-m pipeline``)."""
    environ = {key: value for key, value in os.environ.items()
               if not key.startswith("PIPELINE_") and key != "BUILD_NUMBER"}
    # The project's own modules first, then this checkout's pipeline (not an installed one).
    environ["PYTHONPATH"] = os.pathsep.join([str(project), str(REPO_ROOT)])
    return subprocess.run([sys.executable, *python_args, *args], cwd=project,
                          env={**environ, **(env or {})}, capture_output=True, text=True,
                          timeout=600)
