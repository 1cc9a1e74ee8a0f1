"""lint_tool, test_requirements and coverage's own settings files: what is refused in one line,
and what the tools' environment is made of (the real builds are in test_tool_environment)."""
import importlib.util
from pathlib import Path

import pytest

from pipeline.core import config as config_module
from pipeline.core import toolenv
from pipeline.core.errors import InputError
from pipeline.stages.test import coverage_settings, fail_under

from tests.pipeline.conftest import SETUP_CFG, run_cli, write


def test_an_unknown_lint_tool_is_one_line_naming_the_key_and_the_tools(project: Path) -> None:
    result = run_cli(project, "lint", env={"PIPELINE_LINT_TOOL": "pylint"})
    assert result.returncode == 2
    assert result.stderr == ("pipeline: error: PIPELINE_LINT_TOOL: 'pylint' is not flake8 or "
                             "ruff\n")


@pytest.mark.skipif(importlib.util.find_spec("ruff") is not None, reason="ruff is installed")
def test_ruff_missing_beside_pipeline_says_how_to_get_it(project: Path) -> None:
    write(project, "setup.cfg", SETUP_CFG.replace("[pipeline]\n", "[pipeline]\nlint_tool = ruff\n"))
    result = run_cli(project, "lint")
    assert result.returncode == 2
    assert result.stderr == ("pipeline: error: setup.cfg [pipeline] lint_tool: ruff is not "
                             "installed beside pipeline: pip install ruff, or set "
                             "test_requirements, whose environment brings it\n")


def test_a_missing_requirements_file_is_refused_before_anything_is_built(project: Path) -> None:
    result = run_cli(project, "test", env={"PIPELINE_TEST_REQUIREMENTS": "requirements-dev.txt"})
    assert result.returncode == 2
    assert result.stderr == ("pipeline: error: PIPELINE_TEST_REQUIREMENTS: no such file "
                             "requirements-dev.txt\n")
    assert not (project / "build").exists()


def test_the_environment_never_replaces_a_folder_that_is_not_one(project: Path) -> None:
    result = run_cli(project, "typecheck", env={"PIPELINE_TEST_REQUIREMENTS": "pytest",
                                                "PIPELINE_TEST_ENV_DIR": "sample"})
    assert result.returncode == 2
    assert result.stderr == ("pipeline: error: PIPELINE_TEST_ENV_DIR: sample exists and is not "
                             "a virtualenv; choose another path\n")
    assert (project / "sample" / "__init__.py").is_file()


def test_files_are_installed_with_r_and_anything_else_as_written(project: Path) -> None:
    write(project, "requirements-dev.txt", "pytest-django\n")
    config = config_module.load(project, environ={})
    assert toolenv.pip_arguments(config, ("requirements-dev.txt", "django>=5,<6",
                                          "-e .[test]")) == \
        ["-r", "requirements-dev.txt", "django>=5,<6", "-e", ".[test]"]


def test_the_fingerprint_follows_included_files_and_the_project_metadata(project: Path) -> None:
    write(project, "requirements.txt", "django\n")
    write(project, "requirements-dev.txt", "-r requirements.txt\npytest-django\n")
    arguments = ["-r", "requirements-dev.txt", ".[test]"]
    tools = ("ruff", *toolenv.TOOLS)
    first = toolenv.fingerprint_of(project, arguments, tools)
    assert toolenv.fingerprint_of(project, arguments, tools) == first
    assert toolenv.fingerprint_of(project, arguments, ("flake8", *toolenv.TOOLS)) != first
    write(project, "requirements.txt", "django<5\n")
    second = toolenv.fingerprint_of(project, arguments, tools)
    assert second != first
    write(project, "pyproject.toml", "[project]\nname = 'sample'\n")
    assert toolenv.fingerprint_of(project, arguments, tools) != second


def test_coverage_settings_are_read_where_coverage_looks(project: Path) -> None:
    """.coveragerc first, then setup.cfg, tox.ini, pyproject.toml holding coverage sections."""
    start, end = SETUP_CFG.index("[coverage:run]"), len(SETUP_CFG)
    write(project, "setup.cfg", SETUP_CFG[:start])
    config = config_module.load(project, environ={})
    assert (coverage_settings(project), fail_under(config)) == (None, 0.0)
    write(project, "pyproject.toml", "[tool.coverage.report]\nfail_under = 75\n")
    assert coverage_settings(project) == ("pyproject.toml", "tool.coverage.report")
    assert fail_under(config) == 75.0
    write(project, "tox.ini", "[coverage:report]\nfail_under = 70\n")
    assert fail_under(config) == 70.0
    write(project, "setup.cfg", SETUP_CFG[:end])
    assert fail_under(config) == 80.0
    write(project, ".coveragerc", "[report]\nfail_under = many\n")
    with pytest.raises(InputError, match=r"^\.coveragerc \[report\] fail_under: "):
        fail_under(config)
