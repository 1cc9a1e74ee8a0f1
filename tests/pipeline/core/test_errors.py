"""Errors as the stage contract sees them, and optional dependencies that are missing."""
import sys

import pytest

from pipeline.core import proc
from pipeline.core.errors import (InputError, MissingExtra, StageFailed, as_pipeline_error,
                                  require_extra)


def test_pipeline_errors_keep_their_exit_code_and_crashes_are_failures() -> None:
    bad_input = InputError("bad")
    assert as_pipeline_error(bad_input) is bad_input
    crash = as_pipeline_error(KeyError("x"))
    assert isinstance(crash, StageFailed) and str(crash) == "KeyError: 'x'"


def test_a_missing_optional_module_is_bad_input_naming_its_extra() -> None:
    error = as_pipeline_error(ModuleNotFoundError("No module named 'docker'", name="docker"))
    assert isinstance(error, MissingExtra) and error.exit_code == 2
    assert str(error) == ("this command needs the 'deploy' extra (no module named 'docker'): "
                          "pip install 'pipeline[deploy]'")


def test_another_missing_module_is_a_crash() -> None:
    error = as_pipeline_error(ModuleNotFoundError("No module named 'nope'", name="nope"))
    assert isinstance(error, StageFailed)


def test_require_extra_checks_every_module_of_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    require_extra("deploy")
    monkeypatch.setitem(sys.modules, "ansible", None)
    with pytest.raises(MissingExtra, match="'deploy' extra \\(no module named 'ansible'\\)"):
        require_extra("deploy")
    require_extra("jenkins")


def test_a_python_tool_that_is_not_installed_is_refused_before_it_runs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ansible", None)
    with pytest.raises(MissingExtra, match="no module named 'ansible'"):
        proc.python_tool("ansible.cli.playbook", "-i", "x")
    monkeypatch.setitem(sys.modules, "flake8", None)
    with pytest.raises(InputError, match="^no module named 'flake8': reinstall pipeline$"):
        proc.python_tool("flake8")
