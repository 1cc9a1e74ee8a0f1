"""Loading the typed configuration: the file, the environment, and what each refuses."""
from pathlib import Path

import pytest

from pipeline.core import config as config_module
from pipeline.core.errors import InputError
from pipeline.core.version import read_version


def add_settings(project: Path, lines: str) -> None:
    """Add ``lines`` to the sample project's [pipeline] section."""
    setup_cfg = project / "setup.cfg"
    text = setup_cfg.read_text(encoding="utf-8")
    setup_cfg.write_text(text.replace("[pipeline]\n", "[pipeline]\n" + lines, 1), encoding="utf-8")


def test_load_finds_the_project_from_a_subdirectory(project: Path) -> None:
    config = config_module.load(project / "sample", environ={})
    assert config.root == project
    assert config.stages == ("lint", "typecheck", "test", "version")
    assert config.reports_dir == project / "reports"
    assert config.version_file == project / "version.txt"


def test_environment_overrides_any_setting(project: Path) -> None:
    config = config_module.load(project, environ={"PIPELINE_STAGES": "version,lint",
                                                  "PIPELINE_IMAGE_NAME": "shop"})
    assert config.stages == ("version", "lint")
    assert config.text("image_name") == "shop"
    assert config.settings["image_name"].where == "PIPELINE_IMAGE_NAME"


def test_an_unknown_key_is_refused_with_the_closest_one(project: Path) -> None:
    add_settings(project, "deploy_enviroment = staging\n")
    with pytest.raises(InputError) as raised:
        config_module.load(project, environ={})
    assert str(raised.value) == ("setup.cfg [pipeline]: unknown key 'deploy_enviroment' "
                                 "(did you mean 'deploy_environment'?)")
    assert raised.value.exit_code == 2


def test_an_unknown_pipeline_variable_is_refused_with_the_closest_one(project: Path) -> None:
    with pytest.raises(InputError, match=r"^unknown variable PIPELINE_IMAGE_NAEM "
                                         r"\(did you mean PIPELINE_IMAGE_NAME\?\)$"):
        config_module.load(project, environ={"PIPELINE_IMAGE_NAEM": "shop"})


def test_the_pipelines_own_variables_are_not_keys_and_are_accepted(project: Path) -> None:
    config = config_module.load(project, environ={"PIPELINE_APPROVED_BY": "alice",
                                                  "PIPELINE_ANSIBLE_RESULTS": "/tmp/r.json"})
    assert config.get("approved_by") == "alice"
    assert "approved_by" not in config.settings


def test_a_value_of_the_wrong_kind_names_key_and_value(project: Path) -> None:
    with pytest.raises(InputError,
                       match=r"^PIPELINE_PORT: expected an integer, got 'eighty'$"):
        config_module.load(project, environ={"PIPELINE_PORT": "eighty"})
    add_settings(project, "migrate_lock = maybe\n")
    with pytest.raises(InputError, match=r"^setup.cfg \[pipeline\] migrate_lock: expected "
                                         r"true or false, got 'maybe'$"):
        config_module.load(project, environ={})


def test_values_are_typed_and_defaults_filled(project: Path) -> None:
    config = config_module.load(project, environ={"PIPELINE_PORT": "8080",
                                                  "PIPELINE_MIGRATE_LOCK": "no"})
    assert (config.number("port"), config.flag("migrate_lock")) == (8080, False)
    assert config.text("health_path") == "/healthz"
    assert config.settings["health_path"].source == "default"
    assert config.optional_path("dockerfile") is None
    assert config.text("image_name") == project.name.lower().replace("_", "-")


def test_a_multi_line_list_keeps_each_line_whole(project: Path) -> None:
    add_settings(project, "constraints =\n    SQLAlchemy>=2,<2.1\n    gunicorn\n")
    config = config_module.load(project, environ={})
    assert config.items("constraints") == ("SQLAlchemy>=2,<2.1", "gunicorn")


def test_pyproject_configures_a_repository_without_setup_cfg(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pipeline]\nstages = ["lint", "test"]\nport = 9000\nreports_dir = "out"\n')
    config = config_module.load(tmp_path / ".", environ={})
    assert (config.stages, config.number("port")) == (("lint", "test"), 9000)
    assert config.reports_dir == tmp_path / "out"
    assert str(config.source) == "pyproject.toml [tool.pipeline]"


def test_pyproject_and_setup_cfg_both_configuring_is_an_error(project: Path) -> None:
    with (project / "pyproject.toml").open("a") as pyproject:
        pyproject.write('\n[tool.pipeline]\nstages = ["lint"]\n')
    with pytest.raises(InputError, match=r"^both pyproject.toml \[tool.pipeline\] and "
                                         r"setup.cfg \[pipeline\] configure the pipeline"):
        config_module.load(project, environ={})


def test_an_unknown_pyproject_key_names_the_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.pipeline]\nreport_dir = "out"\n')
    with pytest.raises(InputError, match=r"^pyproject.toml \[tool.pipeline\]: unknown key "
                                         r"'report_dir' \(did you mean 'reports_dir'\?\)$"):
        config_module.load(tmp_path, environ={})


def test_no_project_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nor setup.cfg with a \\[pipeline\\] section"):
        config_module.find_root(tmp_path)


def test_empty_stage_list_is_an_input_error(project: Path) -> None:
    with pytest.raises(InputError, match="PIPELINE_STAGES: 'stages' lists no stage"):
        config_module.load(project, environ={"PIPELINE_STAGES": " , "})


def test_unparsable_setup_cfg_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("[pipeline]\nstages = lint\nstages = test\n")
    with pytest.raises(InputError, match="setup.cfg: While reading"):
        config_module.load(tmp_path, environ={})


def test_existing_paths_refuses_a_typo(project: Path) -> None:
    config = config_module.load(project, environ={"PIPELINE_LINT_PATHS": "sample tset"})
    with pytest.raises(InputError, match=r"^PIPELINE_LINT_PATHS: no such path tset$"):
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
