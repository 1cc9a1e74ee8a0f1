"""Where the image's requirements come from: requirements.txt, pyproject.toml or poetry.lock,
then the configuration's constraints. Files only: no pip run, no network."""
from pathlib import Path

import pytest

from pipeline.core import config as config_module
from pipeline.core.config import Config
from pipeline.core.errors import InputError
from pipeline.ship import wheelhouse

REPO_ROOT = Path(__file__).resolve().parents[2]
FOREIGN = Path("/work/shared/foreign/devops-test")


def service(root: Path, files: dict[str, str], **keys: str) -> Config:
    """A service folder holding ``files``, configured by ``keys`` in its setup.cfg."""
    lines = ["[pipeline]", "stages = build", *(f"{key} = {value}" for key, value in keys.items())]
    (root / "setup.cfg").write_text("\n".join(lines) + "\n")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return config_module.load(root, {})


def test_a_requirements_file_gives_its_lines_as_pip_reads_them(tmp_path: Path) -> None:
    config = service(tmp_path, {
        "requirements.txt": "# run time\nflask ~= 2.2.2  # the web framework\n\n-r more.txt\n"
                            "gunicorn \\\n  >= 20\n",
        "more.txt": "psycopg2-binary ; python_version >= '3.8'\n"})
    assert wheelhouse.requirements_text(config) == (
        "flask ~= 2.2.2\npsycopg2-binary ; python_version >= '3.8'\ngunicorn   >= 20\n")


@pytest.mark.parametrize("option", ["--index-url https://example.org/simple", "-e .",
                                    "--hash=sha256:00"])
def test_a_pip_option_is_refused_in_one_line(tmp_path: Path, option: str) -> None:
    config = service(tmp_path, {"requirements.txt": f"flask\n{option}\n"})
    with pytest.raises(InputError, match=f"requirements.txt: pip option '{option}' is not "):
        wheelhouse.requirements_text(config)


def test_pyproject_gives_its_project_dependencies(tmp_path: Path) -> None:
    config = service(tmp_path, {"pyproject.toml": '[project]\nname = "s"\nversion = "1"\n'
                                                  'dependencies = ["Flask>=3", "gunicorn"]\n'})
    assert wheelhouse.requirements_text(config) == "Flask>=3\ngunicorn\n"


@pytest.mark.parametrize(("text", "error"), [
    ('[project]\nname = "s"\ndynamic = ["dependencies"]\n', "dependencies are dynamic"),
    ('[tool.poetry.dependencies]\nflask = "^3"\n', "no \\[project\\] dependencies"),
    ("[project\n", "pyproject.toml: ")])
def test_a_pyproject_without_written_dependencies_is_an_input_error(
        tmp_path: Path, text: str, error: str) -> None:
    config = service(tmp_path, {"lib/pyproject.toml": text}, requirements="lib/pyproject.toml")
    with pytest.raises(InputError, match=error):
        wheelhouse.requirements_text(config)


POETRY_LOCK = """\
[[package]]
name = "flask"
version = "3.0.3"
groups = ["main"]

[[package]]
name = "colorama"
version = "0.4.6"
groups = ["main", "dev"]
markers = {main = "platform_system == \\"Windows\\"", dev = "sys_platform == \\"win32\\""}

[[package]]
name = "pytest"
version = "8.3.0"
groups = ["dev"]

[[package]]
name = "old-style"
version = "1.0"
category = "main"
markers = "python_version >= \\"3.8\\""

[[package]]
name = "for-an-extra"
version = "2.0"
optional = true
groups = ["main"]
"""


def test_poetry_lock_gives_its_run_time_packages_pinned(tmp_path: Path) -> None:
    config = service(tmp_path, {"poetry.lock": POETRY_LOCK})
    assert wheelhouse.requirements_text(config).splitlines() == [
        "flask==3.0.3", 'colorama==0.4.6 ; platform_system == "Windows"',
        'old-style==1.0 ; python_version >= "3.8"']


def test_a_package_locked_from_git_is_an_input_error(tmp_path: Path) -> None:
    lock = ('[[package]]\nname = "lib"\nversion = "1"\ngroups = ["main"]\n\n[package.source]\n'
            'type = "git"\nurl = "https://example.org/lib.git"\n')
    config = service(tmp_path, {"poetry.lock": lock})
    with pytest.raises(InputError, match="lib is locked from a git source"):
        wheelhouse.requirements_text(config)


def test_the_first_source_found_is_used_and_a_configured_one_wins(tmp_path: Path) -> None:
    files = {"requirements.txt": "from-txt\n",
             "pyproject.toml": '[project]\nname = "s"\nversion = "1"\n'
                               'dependencies = ["from-toml"]\n'}
    assert wheelhouse.requirements_text(service(tmp_path, files)) == "from-txt\n"
    configured = service(tmp_path, files, requirements="pyproject.toml")
    assert wheelhouse.requirements_text(configured) == "from-toml\n"


def test_no_source_at_all_is_an_input_error_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^setup.cfg \[pipeline\] requirements: empty, and "
                                         "the service's folder has none of requirements.txt, "
                                         "pyproject.toml, poetry.lock$"):
        wheelhouse.requirements_text(service(tmp_path, {}))


def test_a_configured_source_that_does_not_exist_is_an_input_error(tmp_path: Path) -> None:
    config = service(tmp_path, {}, requirements="deps/run.txt")
    with pytest.raises(InputError, match=r"requirements: deps/run.txt does not exist$"):
        wheelhouse.requirements_text(config)


def test_constraints_follow_the_declared_requirements(tmp_path: Path) -> None:
    config = service(tmp_path, {"requirements.txt": "flask-sqlalchemy ~= 2.5.1\n"},
                     constraints="\n    SQLAlchemy<1.4.46\n    Werkzeug>=2.2,<3")
    assert wheelhouse.requirements_text(config) == (
        "flask-sqlalchemy ~= 2.5.1\nSQLAlchemy<1.4.46\nWerkzeug>=2.2,<3\n")


def test_the_reference_app_declares_its_run_time_in_its_own_pyproject() -> None:
    requirements = wheelhouse.declared_requirements(REPO_ROOT / "app" / "pyproject.toml")
    assert {line.split(">")[0].split("[")[0] for line in requirements} >= {
        "Flask", "Flask-Migrate", "gunicorn", "psycopg", "packaging"}


@pytest.mark.skipif(not FOREIGN.is_dir(), reason="the foreign services are not here")
def test_devops_test_declares_a_requirements_file() -> None:
    requirements = wheelhouse.declared_requirements(FOREIGN / "requirements.txt")
    assert "flask-sqlalchemy ~= 2.5.1" in requirements and "gunicorn ~= 20.1.0" in requirements


def test_a_wheelhouse_is_current_only_for_the_same_requirements(tmp_path: Path) -> None:
    assert not wheelhouse.is_current(tmp_path, "a\n")
    (tmp_path / "requirements.txt").write_text("a\n")
    assert not wheelhouse.is_current(tmp_path, "a\n")  # no wheel yet
    (tmp_path / "a-1-py3-none-any.whl").write_text("")
    assert wheelhouse.is_current(tmp_path, "a\n")
    assert not wheelhouse.is_current(tmp_path, "a\nb\n")
