"""Fixtures of the monitoring tests: the role's files rendered by Ansible itself, and promtool.

Rendering goes through `ansible -m template` with the role's defaults, so the tests check
exactly what the role installs, at the default thresholds.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.stack import REPO_ROOT

ANSIBLE_DIR = REPO_ROOT / "pipeline" / "ansible"
ROLE_DIR = ANSIBLE_DIR / "roles" / "monitoring"
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def ansible_environment() -> dict[str, str]:
    """This process' environment, with the project's ansible.cfg."""
    return {**os.environ, "ANSIBLE_CONFIG": str(ANSIBLE_DIR / "ansible.cfg")}


def ansible_adhoc(module: str, args: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run one Ansible module on this machine, with the project's ansible.cfg."""
    command = [str(BIN / "ansible"), "localhost", "-i", "localhost,", "-c", "local",
               "-e", f"ansible_python_interpreter={sys.executable}", "-m", module, "-a", args,
               *extra]
    return subprocess.run(command, cwd=ANSIBLE_DIR, text=True, capture_output=True, check=False,
                          timeout=120, env=ansible_environment())


@pytest.fixture(scope="session")
def promtool() -> str:
    """Debian's promtool (package `prometheus`)."""
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is missing: apt-get install prometheus")
    return path


# Request metrics as a service declares them (metrics_requests_counter, ..._histogram): names
# of no service in particular, which rules_test.yml's series use.
DECLARED_METRICS = ("-e", "monitoring_requests_counter=http_requests_total",
                    "-e", "monitoring_latency_histogram=http_request_duration_seconds")


def render(template: str, dest: Path, *extra: str) -> None:
    """One of the role's templates rendered by Ansible with the role's defaults and ``extra``."""
    result = ansible_adhoc("ansible.builtin.template",
                           f"src={ROLE_DIR / 'templates' / template} dest={dest}",
                           "-e", f"@{ROLE_DIR / 'defaults' / 'main.yml'}",
                           "-e", f"role_path={ROLE_DIR}", *extra)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="session")
def rules_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The alert rules rendered with the role's defaults and declared request metrics, beside
    the promtool unit tests."""
    target = tmp_path_factory.mktemp("rules")
    render("rules/monitoring.rules.yml.j2", target / "monitoring.rules.yml", *DECLARED_METRICS)
    shutil.copy(HERE / "rules_test.yml", target / "rules_test.yml")
    return target
