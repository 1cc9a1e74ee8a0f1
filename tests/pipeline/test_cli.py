"""The command line: help everywhere, one-line errors, exit codes per the stage contract."""
from pathlib import Path

import argparse

import pytest

from pipeline.cli import build_parser, main

from .conftest import run_cli


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
    assert result.stderr.startswith("pipeline: error: no setup.cfg with a [pipeline] section")


def test_stage_command_is_recorded(project: Path) -> None:
    assert run_cli(project, "version", "build").returncode == 0
    assert '"name": "version"' in (project / "reports" / "pipeline.json").read_text()
