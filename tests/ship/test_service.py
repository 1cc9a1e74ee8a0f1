"""The service contract the playbooks receive (``service``), from a repository's configuration."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.core import config as config_module
from pipeline.core.errors import InputError
from pipeline.ship.service import Service

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC = REPO_ROOT / "pipeline" / "ansible" / "vars" / "extra_vars_spec.yml"


def service_of(tmp_path: Path, lines: str) -> Service:
    """The Service of a repository whose setup.cfg [pipeline] holds ``lines``."""
    (tmp_path / "setup.cfg").write_text(f"[pipeline]\nimage_name = demo\n{lines}\n")
    return Service.from_config(config_module.load(tmp_path, {}))


def test_the_defaults_fit_a_service_with_health_and_version_endpoints(tmp_path: Path) -> None:
    service = service_of(tmp_path, "")
    assert service.as_vars() == {
        "port": 8000, "health_path": "/healthz", "ready_path": "/healthz",
        "version_path": "/version", "version_field": "build", "metrics_path": "/metrics",
        "metrics_requests_counter": "", "metrics_latency_histogram": "", "migrate_command": [],
        "migrate_check_command": [], "migrate_lock": True, "schema_table": "alembic_version",
        "database_url_env": "DATABASE_URL", "env": {}}


def test_commands_are_split_as_a_shell_would_and_env_keeps_spaces(tmp_path: Path) -> None:
    service = service_of(tmp_path, "migrate_command = flask db upgrade --sql 'a b'\n"
                                   "env =\n    USER_NAME=Visitors, production\n    EMPTY=\n"
                                   "port = 5000\nmigrate_lock = false\nversion_path =")
    assert service.migrate_command == ("flask", "db", "upgrade", "--sql", "a b")
    assert service.env == {"USER_NAME": "Visitors, production", "EMPTY": ""}
    assert (service.port, service.migrate_lock, service.version_path) == (5000, False, "")


@pytest.mark.parametrize(("line", "message"), [
    ("port = 0", "setup.cfg [pipeline] port: 0 is not a port (1 to 65535)"),
    ("port = 70000", "setup.cfg [pipeline] port: 70000 is not a port (1 to 65535)"),
    ("health_path = healthz", "setup.cfg [pipeline] health_path: 'healthz' is not a path "
                              "starting with '/'"),
    ("version_field = build.number", "setup.cfg [pipeline] version_field: 'build.number' is "
                                     "not a name (letters, digits, '_')"),
    ("schema_table = x; DROP TABLE y", "setup.cfg [pipeline] schema_table: 'x; DROP TABLE y' "
                                       "is not a name (letters, digits, '_')"),
    ("metrics_requests_counter = http_requests_total{status}",
     "setup.cfg [pipeline] metrics_requests_counter: 'http_requests_total{status}' is not a "
     "Prometheus metric name (letters, digits, '_', ':')"),
    ("migrate_command = flask 'db", "setup.cfg [pipeline] migrate_command: No closing quotation"),
    ("env =\n    USER NAME=x\n    B=2",
     "setup.cfg [pipeline] env: 'USER NAME=x' is not NAME=VALUE"),
    ("env =\n    A=1\n    A=2", "setup.cfg [pipeline] env: A is given twice"),
])
def test_a_bad_value_is_one_line_naming_the_key(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(InputError) as raised:
        service_of(tmp_path, line)
    assert str(raised.value) == message


def test_the_reference_service_declares_its_endpoints_and_migrations() -> None:
    service = Service.from_config(config_module.load(REPO_ROOT, {}))
    assert (service.ready_path, service.version_field) == ("/readyz", "build")
    assert service.migrate_command and service.migrate_check_command
    assert service.env["TRUSTED_PROXY_HOPS"] == "1"
    assert service.metrics_requests_counter and service.metrics_latency_histogram


def validate(tmp_path: Path, extra: dict[str, object]) -> subprocess.CompletedProcess[str]:
    """Run the library's validate.yml with ``extra`` on this machine, as the pipeline would."""
    variables = tmp_path / "extra.json"
    variables.write_text(json.dumps(extra))
    return subprocess.run(
        [sys.executable, "-m", "ansible.cli.playbook", "-i", "localhost,", "-c", "local",
         "-e", f"ansible_python_interpreter={sys.executable}", "-e", f"@{variables}",
         str(REPO_ROOT / "pipeline" / "ansible" / "validate.yml")],
        text=True, capture_output=True, check=False, timeout=120)


@pytest.mark.slow
def test_the_playbooks_check_the_contract_they_receive(tmp_path: Path) -> None:
    service = Service.from_config(config_module.load(REPO_ROOT, {})).as_vars()
    good = validate(tmp_path, {"service": service, "service_root": str(REPO_ROOT)})
    assert good.returncode == 0, good.stdout + good.stderr
    bad = validate(tmp_path, {"service": {**service, "port": "http"},
                              "service_root": str(REPO_ROOT)})
    assert bad.returncode != 0
    assert "port" in bad.stdout
