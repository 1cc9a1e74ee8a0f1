"""Configuration from the environment: defaults, normalisation, and one-line errors."""
import logging
from pathlib import Path

import pytest

from app import ConfigError, create_app
from app.build_info import read_build_info
from app.settings import Settings


def settings(**environ: str) -> Settings:
    return Settings.from_env(environ, Path("/srv/instance"))


def test_defaults_run_on_an_sqlite_file_in_the_instance_folder() -> None:
    result = settings()
    assert result.database_url.render_as_string() == "sqlite:////srv/instance/visitors.db"
    assert result.migrate_on_start
    assert (result.user_name, result.user_url) == ("unknown", "")
    assert (result.trusted_proxy_hops, result.log_level) == (0, logging.INFO)
    assert result.metrics_dir is None
    assert result.visit_synchronous_commit


@pytest.mark.parametrize("given", ["postgresql://u:p@db:5432/visitors",
                                   "postgres://u:p@db:5432/visitors",
                                   "postgresql+psycopg://u:p@db:5432/visitors"])
def test_postgresql_urls_use_psycopg_3(given: str) -> None:
    result = settings(DATABASE_URL=given)
    assert result.database_url.drivername == "postgresql+psycopg"
    assert result.database_url.password == "p"
    assert not result.migrate_on_start


def test_values_are_read(tmp_path: Path) -> None:
    result = settings(USER_NAME=" Ada ", USER_URL="https://example.com/ada",
                      TRUSTED_PROXY_HOPS="2", LOG_LEVEL="debug",
                      PROMETHEUS_MULTIPROC_DIR=str(tmp_path), VISIT_SYNCHRONOUS_COMMIT="OFF")
    assert not result.visit_synchronous_commit
    assert (result.user_name, result.user_url) == ("Ada", "https://example.com/ada")
    assert (result.trusted_proxy_hops, result.log_level) == (2, logging.DEBUG)
    assert result.metrics_dir == tmp_path


@pytest.mark.parametrize(("environ", "message"), [
    ({"TRUSTED_PROXY_HOPS": "-1"}, "TRUSTED_PROXY_HOPS must be an integer >= 0, got '-1'"),
    ({"TRUSTED_PROXY_HOPS": "one"}, "TRUSTED_PROXY_HOPS must be an integer >= 0, got 'one'"),
    ({"LOG_LEVEL": "loud"}, "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ({"USER_URL": "javascript:alert(1)"}, "USER_URL must be an http:// or https:// URL"),
    ({"USER_URL": "example.com"}, "USER_URL must be an http:// or https:// URL"),
    ({"DATABASE_URL": "mysql://u:p@db/visitors"}, "DATABASE_URL uses 'mysql'"),
    ({"DATABASE_URL": "postgresql://u:p@db"}, "DATABASE_URL names no database"),
    ({"PROMETHEUS_MULTIPROC_DIR": "/nonexistent/metrics"},
     "PROMETHEUS_MULTIPROC_DIR must be a writable directory"),
    ({"VISIT_SYNCHRONOUS_COMMIT": "sometimes"},
     "VISIT_SYNCHRONOUS_COMMIT must be on or off, got 'sometimes'"),
])
def test_bad_values_are_one_line_errors_naming_the_variable(environ: dict[str, str],
                                                            message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        settings(**environ)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_a_malformed_database_url_is_refused_without_echoing_its_password() -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL is not a database URL") as raised:
        settings(DATABASE_URL="::secret-password::")
    assert "secret-password" not in str(raised.value)


def test_create_app_refuses_a_bad_environment_before_touching_the_database() -> None:
    with pytest.raises(ConfigError, match="TRUSTED_PROXY_HOPS"):
        create_app({"DATABASE_URL": "postgresql://u:p@127.0.0.1:1/none",
                    "TRUSTED_PROXY_HOPS": "x"})


def test_the_image_baked_build_is_reported() -> None:
    info = read_build_info({"APP_VERSION": "2.0.1+build.314", "APP_COMMIT": "deadbee",
                            "APP_BUILT_AT": "2026-11-23T08:00:00Z"})
    assert info.as_dict() == {"version": "2.0.1+build.314", "build": 314,
                              "commit": "deadbee", "built_at": "2026-11-23T08:00:00Z"}


def test_outside_an_image_the_version_comes_from_version_txt(tmp_path: Path) -> None:
    version_file = tmp_path / "version.txt"
    version_file.write_text("0.3.0+build.12\n")
    info = read_build_info({}, version_file)
    assert (info.version, info.build, info.commit, info.built_at) == (
        "0.3.0+build.12", 12, "unknown", "unknown")


def test_the_repository_version_file_is_readable() -> None:
    assert read_build_info({}).build >= 0


def test_a_missing_version_file_is_a_start_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="APP_VERSION is not set and .* cannot be read"):
        read_build_info({}, tmp_path / "version.txt")


def test_without_database_url_the_app_migrates_its_own_sqlite_file(tmp_path: Path) -> None:
    app = create_app({"APP_VERSION": "1.0.0+build.1"}, instance_path=str(tmp_path / "instance"))
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    assert client.get("/").status_code == 200
    assert (tmp_path / "instance" / "visitors.db").is_file()
