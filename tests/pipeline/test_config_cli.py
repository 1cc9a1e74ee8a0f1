"""``pipeline config get|show`` and ``pipeline check``, run as Jenkins and the Makefile run them."""
import json
from pathlib import Path

from tests.pipeline.conftest import run_cli, write

GOOD_HOSTS = """\
all:
  children:
    app:
      hosts:
        app-1:
    db:
      hosts:
        db-1:
    proxy:
      children:
        edge:
          hosts:
            proxy-1:
"""


def test_config_get_prints_one_resolved_value(project: Path) -> None:
    result = run_cli(project, "config", "get", "reports_dir",
                     env={"PIPELINE_REPORTS_DIR": "out/reports"})
    assert (result.returncode, result.stdout) == (0, "out/reports\n")
    assert run_cli(project, "config", "get", "lint_paths").stdout == "sample\ntests\n"


def test_config_get_of_an_unknown_key_is_one_line_exit_2(project: Path) -> None:
    result = run_cli(project, "config", "get", "report_dir")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == ("pipeline: error: unknown key 'report_dir' "
                             "(did you mean 'reports_dir'?)\n")


def test_config_show_says_where_each_value_came_from(project: Path) -> None:
    result = run_cli(project, "config", "show", "--json", env={"PIPELINE_PORT": "9000"})
    assert result.returncode == 0, result.stderr
    rows = {row["key"]: row for row in json.loads(result.stdout)}
    assert rows["stages"] == {"key": "stages", "value": ["lint", "typecheck", "test", "version"],
                              "source": "file", "where": "setup.cfg"}
    assert rows["port"] == {"key": "port", "value": 9000, "source": "environment",
                            "where": "PIPELINE_PORT"}
    assert rows["health_path"]["source"] == "default"
    text = run_cli(project, "config", "show").stdout
    assert "version_file" in text and "version.txt" in text


def test_check_prints_one_line_per_environment(project: Path) -> None:
    for environment in ("staging", "production"):
        write(project, f"ansible/inventories/{environment}/hosts.yml", GOOD_HOSTS)
    result = run_cli(project, "check")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ("production: app app-1, db db-1, proxy proxy-1\n"
                             "staging: app app-1, db db-1, proxy proxy-1\n")


def test_check_refuses_an_inventory_without_a_required_group(project: Path) -> None:
    write(project, "ansible/inventories/production/hosts.yml", GOOD_HOSTS)
    write(project, "ansible/inventories/staging/hosts.yml",
          GOOD_HOSTS.replace("    db:\n      hosts:\n        db-1:\n", ""))
    result = run_cli(project, "check")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == ("pipeline: error: environment 'staging': ansible/inventories/"
                             "staging/hosts.yml has no host in group db "
                             "(needed: app, db, proxy)\n")


def test_check_refuses_a_service_contract_the_roles_cannot_use(project: Path) -> None:
    write(project, "ansible/inventories/staging/hosts.yml", GOOD_HOSTS)
    result = run_cli(project, "check", env={"PIPELINE_HEALTH_PATH": "healthz"})
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == ("pipeline: error: PIPELINE_HEALTH_PATH: 'healthz' is not a path "
                             "starting with '/'\n")


def test_check_refuses_an_environment_without_hosts_file(project: Path) -> None:
    (project / "ansible" / "inventories" / "qa" / "group_vars").mkdir(parents=True)
    result = run_cli(project, "check")
    assert result.returncode == 2
    assert result.stderr.startswith("pipeline: error: environment 'qa': no hosts file in "
                                    "ansible/inventories/qa")
