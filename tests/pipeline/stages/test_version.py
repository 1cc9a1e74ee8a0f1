"""The version stage and command: build stamping and release bumps."""
from pathlib import Path

import pytest

from pipeline.core.config import Config
from pipeline.core.errors import InputError
from pipeline.core.version import Version
from pipeline.stages import version as version_stage
from pipeline.stages.version import next_build_number

from tests.pipeline.conftest import run_cli


def test_build_number_precedence() -> None:
    current = Version(1, 0, 0, 9)
    assert next_build_number(current, "42", {"BUILD_NUMBER": "77"}) == 42
    assert next_build_number(current, None, {"BUILD_NUMBER": "77"}) == 77
    assert next_build_number(current, None, {}) == 10
    assert next_build_number(current, None, {"BUILD_NUMBER": ""}) == 10


@pytest.mark.parametrize("bad", ["-1", "x", "1.5", "007"])
def test_build_number_must_be_a_plain_integer(bad: str) -> None:
    with pytest.raises(InputError, match="--number: build number must be"):
        next_build_number(Version(1, 0, 0, 0), bad, {})


def test_stamp_build_writes_only_the_build_number(project_config: Config) -> None:
    stamped = version_stage.stamp_build(project_config, "8")
    assert stamped == Version(1, 4, 2, 8)
    assert project_config.version_file.read_text() == "1.4.2+build.8\n"


def test_cli_version_prints_and_stamps_from_jenkins_build_number(project: Path) -> None:
    assert run_cli(project, "version").stdout == "1.4.2+build.7\n"
    stamped = run_cli(project, "version", "build", env={"BUILD_NUMBER": "31"})
    assert stamped.returncode == 0, stamped.stderr
    assert (project / "version.txt").read_text() == "1.4.2+build.31\n"


def test_a_release_not_stamped_yet_gets_its_first_build_number(project: Path) -> None:
    """A service's own version.txt holds its release only (devops-test's "1.0.2")."""
    (project / "version.txt").write_text("1.0.2\n")
    stamped = run_cli(project, "version", "build", env={"BUILD_NUMBER": "5"})
    assert stamped.returncode == 0, stamped.stderr
    assert (project / "version.txt").read_text() == "1.0.2+build.5\n"
    assert run_cli(project, "version", "build").stdout.endswith("1.0.2+build.5 -> 1.0.2+build.6\n")


def test_only_the_version_stage_reads_a_release_not_stamped_yet(project: Path) -> None:
    """Every other reader wants the stamped form: building "1.0.2" would ship build 0."""
    (project / "version.txt").write_text("1.0.2\n")
    result = run_cli(project, "version")
    assert result.returncode == 2
    assert "malformed version '1.0.2'" in result.stderr


def test_malformed_version_file_is_one_line_exit_2_and_left_alone(project: Path) -> None:
    (project / "version.txt").write_text("1.4+build.7\n")
    result = run_cli(project, "version", "build", "--number", "9")
    assert result.returncode == 2
    assert result.stderr == ("pipeline: error: version.txt: malformed version '1.4+build.7', "
                             "expected MAJOR.MINOR.PATCH+build.N\n")
    assert (project / "version.txt").read_text() == "1.4+build.7\n"


def test_bad_build_number_changes_nothing(project: Path) -> None:
    result = run_cli(project, "version", "build", env={"BUILD_NUMBER": "abc"})
    assert result.returncode == 2
    assert "BUILD_NUMBER: build number must be a non-negative integer" in result.stderr
    assert (project / "version.txt").read_text() == "1.4.2+build.7\n"


@pytest.mark.slow
@pytest.mark.parametrize("part, expected", [("major", "2.0.0+build.7"),
                                            ("minor", "1.5.0+build.7"),
                                            ("patch", "1.4.3+build.7")])
def test_bump_goes_through_bump_my_version_and_keeps_the_build(
        project: Path, part: str, expected: str) -> None:
    result = run_cli(project, "version", "bump", part)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "version.txt").read_text() == expected + "\n"
    assert f"version 1.4.2+build.7 -> {expected}" in result.stdout
