"""The command line: help everywhere, one-line errors, exit codes per the stage contract."""
import argparse
import importlib.metadata
from pathlib import Path

import pytest

from pipeline.cli import build_parser, main

from tests.pipeline.conftest import run_cli


def command_paths() -> list[list[str]]:
    """Every command and sub-action the CLI offers, found from the parser itself."""
    found: list[list[str]] = []

    def walk(parser: argparse.ArgumentParser, prefix: list[str]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    found.append([*prefix, name])
                    walk(child, [*prefix, name])

    walk(build_parser(), [])
    return found


@pytest.mark.parametrize("command", command_paths(), ids=" ".join)
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: pipeline {' '.join(command)}" in capsys.readouterr().out


def test_outside_a_project_is_exit_2(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "version")
    assert result.returncode == 2
    assert result.stderr.startswith("pipeline: error: no pyproject.toml with a [tool.pipeline] "
                                    "table nor setup.cfg with a [pipeline] section")


def test_stage_command_is_recorded(project: Path) -> None:
    assert run_cli(project, "version", "build").returncode == 0
    assert '"name": "version"' in (project / "reports" / "pipeline.json").read_text()


def test_version_option_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"pipeline {importlib.metadata.version('pipeline')}\n"


def test_quiet_and_verbose_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["-q", "-v", "version"])
    assert exit_info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_a_quiet_stage_command_keeps_its_output_in_the_console_log(project: Path) -> None:
    result = run_cli(project, "version", "build", "--number", "9", "-q")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert (project / "reports" / "console" / "version.log").read_text() == \
        "version 1.4.2+build.7 -> 1.4.2+build.9\n"
