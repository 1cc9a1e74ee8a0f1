"""Loading the typed configuration from setup.cfg and the environment."""
from pathlib import Path

import pytest

from pipeline.core import config as config_module
from pipeline.core.errors import InputError
from pipeline.core.version import read_version


def test_load_finds_the_project_from_a_subdirectory(project: Path) -> None:
    config = config_module.load(project / "sample", environ={})
    assert config.root == project
    assert config.stages == ("lint", "typecheck", "test", "version")
    assert config.reports_dir == project / "reports"
    assert config.version_file == project / "version.txt"


def test_environment_overrides_any_setting(project: Path) -> None:
    config = config_module.load(project, environ={"PIPELINE_STAGES": "version,lint",
                                                  "PIPELINE_REGISTRY": "r.example:5000"})
    assert config.stages == ("version", "lint")
    assert config.get("registry") == "r.example:5000"


def test_missing_setting_names_the_key(project: Path) -> None:
    config = config_module.load(project, environ={})
    with pytest.raises(InputError, match=r"^setup.cfg \[pipeline\]: missing setting 'image'$"):
        config.get("image")
    assert config.get("image", "fallback") == "fallback"


def test_no_project_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no setup.cfg with a \\[pipeline\\] section"):
        config_module.find_root(tmp_path)


def test_empty_stage_list_is_an_input_error(project: Path) -> None:
    with pytest.raises(InputError, match="'stages' lists no stage"):
        config_module.load(project, environ={"PIPELINE_STAGES": " , "})


def test_unparsable_setup_cfg_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("[pipeline]\nstages = lint\nstages = test\n")
    with pytest.raises(InputError, match="setup.cfg: While reading"):
        config_module.load(tmp_path, environ={})


def test_existing_paths_refuses_a_typo(project: Path) -> None:
    config = config_module.load(project, environ={"PIPELINE_LINT_PATHS": "sample tset"})
    with pytest.raises(InputError, match=r"lint_paths: no such path tset$"):
        config.existing_paths("lint_paths")


def test_display_is_relative_inside_the_project_and_absolute_outside(
        project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    config = config_module.load(project, environ={})
    outside = tmp_path_factory.mktemp("elsewhere") / "version.txt"
    assert config.display(project / "reports" / "junit.xml") == "reports/junit.xml"
    assert config.display(outside) == str(outside)


def test_a_version_file_outside_the_project_is_named_in_full(
        project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "version.txt"
    outside.write_text("not a version\n")
    config = config_module.load(project, environ={"PIPELINE_VERSION_FILE": str(outside)})
    with pytest.raises(InputError, match=f"^{outside}: malformed version"):
        read_version(config)
