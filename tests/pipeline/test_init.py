"""``pipeline init`` on real repositories in tmp_path: the foreign devops-test service, a tiny
Django project, an empty folder; and this repository's own files, which must be exactly what
init renders for it (one source)."""
import configparser
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.configuration.schema import KEYS
from pipeline.core import config
from pipeline.init import block, inventory
from pipeline.init.answers import Flags, settle

ROOT = Path(__file__).resolve().parents[2]
FOREIGN = Path("/work/shared/foreign/devops-test")
LOCAL = ROOT / "ansible" / "inventories" / "local"
# The reference app's own environment in its local inventory, after what init renders.
REFERENCE_ONLY = ("app_env", "app_user_name", "app_user_url")


@pytest.fixture
def service(tmp_path: Path) -> Path:
    """A copy of devops-test, as its authors left it."""
    if not FOREIGN.is_dir():
        pytest.skip(f"{FOREIGN} is not here")
    return Path(shutil.copytree(FOREIGN, tmp_path / "devops-test"))


def init(directory: Path, *args: str) -> int:
    return main(["init", "--dir", str(directory), *args])


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(path.relative_to(directory)): path.read_bytes()
            for path in sorted(directory.rglob("*")) if path.is_file()}


def test_devops_test_is_detected(service: Path) -> None:
    answers = settle(service, Flags(proxy_port=8090))
    assert (answers.name, answers.wsgi, answers.requirements) == \
        ("devops-test", "app:app", "requirements.txt")
    assert (answers.migrate_command, answers.version, answers.write_version) == \
        ("flask db upgrade", "1.0.2", False)
    assert answers.test_requirements == "requirements.test.txt"
    # No health endpoint: /version, which answers without the database, stands in.
    assert (answers.health_path, answers.version_path, answers.version_field) == \
        ("/version", "/version", "version")
    # No metrics: nothing to scrape, so no app target that is always down.
    assert answers.metrics_path == ""
    assert answers.integration_command == ""
    assert "-r requirements.txt -r requirements.test.txt" in answers.setup_command


def test_init_writes_the_block_the_jenkinsfile_and_the_inventories(
        service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (service / "setup.cfg").read_text(encoding="utf-8")
    assert init(service, "--proxy-port", "8090") == 0
    out = capsys.readouterr().out
    written = (service / "setup.cfg").read_text(encoding="utf-8")
    assert written.startswith(before)
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(written)
    assert dict(parser["flake8"]) == dict(configparser_of(before)["flake8"])
    assert dict(parser["mypy"]) == dict(configparser_of(before)["mypy"])
    assert parser["pipeline"]["wsgi"] == "app:app"
    assert parser["pipeline"]["migrate_command"] == "flask db upgrade"
    assert parser["pipeline"]["requirements"] == "requirements.txt"
    assert parser["pipeline"]["metrics_path"] == ""
    for key in KEYS:
        assert f"{key.name} =" in written, key.name
    assert "@Field final String DEPLOY_JOB = 'deploy/devops-test-deploy'" in \
        (service / "Jenkinsfile").read_text(encoding="utf-8")
    group_vars = (service / "ansible/inventories/local/group_vars/all/main.yml").read_text()
    assert "stack_name: devops-test\n" in group_vars
    assert "proxy_port: 8090\n" in group_vars and "app_ports: [8091, 8092]\n" in group_vars
    assert "proxy_status_listen: 127.0.0.1:8093\n" in group_vars
    # The monitoring listeners too: a second stack's exporters on the reference's ports fail.
    assert ("monitoring_prometheus_port: 8094\nmonitoring_alertmanager_port: 8095\n"
            "monitoring_node_exporter_port: 8096\nmonitoring_postgres_exporter_port: 8097\n"
            "monitoring_nginx_exporter_port: 8098\n") in group_vars
    assert (service / "ansible/inventories/local/hosts.yml").is_file()
    example = service / "ansible/inventories/.examples/staging/hosts.yml"
    assert all(line.startswith("#") or not line.strip()
               for line in example.read_text(encoding="utf-8").splitlines())
    assert (service / "version.txt").read_text() == "1.0.2\n"
    assert config.load(service, environ={}).get("migrate_command") == "flask db upgrade"
    assert "wrote Jenkinsfile" in out and out.rstrip().endswith("then pipeline run")


def configparser_of(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


def test_a_second_run_refuses_and_writes_nothing_then_force_overwrites(
        service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert init(service, "--proxy-port", "8090") == 0
    first = snapshot(service)
    (service / "Jenkinsfile").unlink()
    after_removal = snapshot(service)
    capsys.readouterr()
    assert init(service, "--proxy-port", "8090") == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "setup.cfg [pipeline] exists" in error
    assert snapshot(service) == after_removal
    assert init(service, "--proxy-port", "8090", "--force") == 0
    assert snapshot(service) == first
    assert (service / "setup.cfg").read_text().count("[pipeline]") == 1


def test_init_in_a_pyproject_repository_writes_a_toml_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "Shop_API"\nversion = "2.3"\ndependencies = ["flask"]\n\n'
        '[tool.black]\nline-length = 100\n', encoding="utf-8")
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop/__init__.py").write_text(
        "from flask import Flask\nfrom prometheus_client import make_wsgi_app\n\n\n"
        "def create_app():\n    return Flask(__name__)\n")
    assert init(tmp_path, "--port", "5000") == 0
    table = tomllib.loads((tmp_path / "pyproject.toml").read_text(encoding="utf-8"))
    assert table["tool"]["black"] == {"line-length": 100}
    assert table["tool"]["pipeline"]["wsgi"] == "shop:create_app()"
    assert table["tool"]["pipeline"]["port"] == 5000
    assert table["tool"]["pipeline"]["image_name"] == "shop-api"
    assert "migrate_command" not in table["tool"]["pipeline"]
    # No /version route: the image's label tells the build; prometheus_client serves /metrics.
    assert (table["tool"]["pipeline"]["version_path"], table["tool"]["pipeline"]["metrics_path"]) \
        == ("", "/metrics")
    assert (tmp_path / "version.txt").read_text() == "2.3.0\n"
    assert config.load(tmp_path, environ={}).get("wsgi") == "shop:create_app()"


def test_a_django_project_is_detected(tmp_path: Path) -> None:
    (tmp_path / "manage.py").write_text(
        "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n")
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj/__init__.py").write_text("")
    (tmp_path / "proj/settings.py").write_text("WSGI_APPLICATION = 'proj.wsgi.application'\n")
    (tmp_path / "proj/wsgi.py").write_text("application = object()\n")
    (tmp_path / "proj/urls.py").write_text("urlpatterns = [path('healthz/', health)]\n")
    (tmp_path / "requirements.txt").write_text("django\n")
    answers = settle(tmp_path, Flags())
    assert (answers.wsgi, answers.migrate_command) == \
        ("proj.wsgi:application", "python manage.py migrate")
    assert (answers.health_path, answers.version, answers.write_version) == \
        ("/healthz", "0.1.0", True)


@pytest.mark.parametrize(("files", "flag"), [({}, "--wsgi"),
                                             ({"app.py": "from flask import Flask\n"
                                                         "app = Flask(__name__)\n"},
                                              "--requirements")])
def test_what_detection_cannot_find_is_one_line_naming_the_flag(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str],
        flag: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    before = snapshot(tmp_path)
    assert init(tmp_path) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and flag in error
    assert snapshot(tmp_path) == before


def test_a_malformed_version_txt_is_refused(service: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    (service / "version.txt").write_text("1.0\n")
    assert init(service) == 2
    assert "--service-version" in capsys.readouterr().err
    assert not (service / "Jenkinsfile").exists()


def test_init_runs_in_a_repository_not_configured_yet_and_never_blocks(service: Path) -> None:
    """As a team runs it: in its own repository, with no configuration yet, stdin not a
    terminal."""
    completed = subprocess.run(
        [sys.executable, "-m", "pipeline", "init", "--proxy-port", "8090"],
        cwd=service, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert (service / "Jenkinsfile").is_file()


def test_the_local_inventory_is_what_init_renders_for_this_repository() -> None:
    """Beyond what init renders, the reference's local group_vars only add its own app's
    environment at the end."""
    name = config.load(ROOT).get("image_name")
    rendered = inventory.local(name, inventory.LocalPorts.of(inventory.DEFAULT_PROXY_PORT))
    assert rendered["hosts.yml"] == (LOCAL / "hosts.yml").read_text(encoding="utf-8")
    committed = (LOCAL / "group_vars/all/main.yml").read_text(encoding="utf-8")
    assert committed.startswith(rendered["group_vars/all/main.yml"])
    added = committed.removeprefix(rendered["group_vars/all/main.yml"]).splitlines()
    assert all(line.startswith(("#", " ", *REFERENCE_ONLY)) for line in added), added


@pytest.mark.parametrize("environment", sorted(inventory.EXAMPLES))
def test_the_examples_are_this_repository_s_remote_inventories(environment: str) -> None:
    name = config.load(ROOT).get("image_name")
    folder = ROOT / "ansible" / "inventories" / environment
    for path, text in inventory.remote(name, environment).items():
        committed = (folder / path).read_text(encoding="utf-8")
        assert committed.startswith(text), path
        added = committed.removeprefix(text).splitlines()
        assert all(line.startswith(("#", " ", *REFERENCE_ONLY)) for line in added), added


def test_the_block_replaces_only_itself() -> None:
    text = "[a]\nx = 1\n\n[pipeline]\nold = 1\n\n[b]\ny = 2\n"
    placed = block.place(text, "[pipeline]\nnew = 2\n", toml=False)
    assert placed == "[a]\nx = 1\n\n[pipeline]\nnew = 2\n\n[b]\ny = 2\n"
