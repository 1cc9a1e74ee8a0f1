"""The pure logic of shipping: tags, build arguments, settings, commands, output reading."""
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from pipeline.ship import ansible, deploy, engine, images
from pipeline.core import config as config_module
from pipeline.core.config import Config
from pipeline.core.errors import InputError, StageFailed
from pipeline.ship.settings import TEMPLATE_DOCKERFILE, ShipSettings
from pipeline.core.version import Version

REPO_ROOT = Path(__file__).resolve().parents[2]


def load_config(**overrides: str) -> Config:
    """The repository's configuration with ``PIPELINE_<KEY>`` overrides."""
    environ = {f"PIPELINE_{key.upper()}": value for key, value in overrides.items()}
    return config_module.load(REPO_ROOT, environ)


def test_tags_are_version_commit_and_latest() -> None:
    tags = images.image_tags(Version(1, 4, 2, 57), "0123456789abcdef")
    assert tags == ("1.4.2-build.57", "git-0123456", "latest")


def test_no_commit_tag_outside_a_checkout() -> None:
    assert images.image_tags(Version(0, 1, 0, 3), "unknown") == ("0.1.0-build.3", "latest")


@pytest.mark.parametrize(("reference", "parts"), [
    ("python:3.11-slim-bookworm", ("python", "3.11-slim-bookworm")),
    ("127.0.0.1:5000/visitors:0.1.0-build.3", ("127.0.0.1:5000/visitors", "0.1.0-build.3")),
    ("127.0.0.1:5000/visitors", ("127.0.0.1:5000/visitors", "latest")),
    ("nginx", ("nginx", "latest"))])
def test_references_split_into_repository_and_tag(reference: str,
                                                  parts: tuple[str, str]) -> None:
    assert engine.split_reference(reference) == parts


def test_sizes_read_like_the_docker_cli() -> None:
    assert images.human_size(276_812_345) == "276.8MB"


def test_settings_from_setup_cfg() -> None:
    settings = ShipSettings.from_config(load_config())
    assert settings.image_name == "visitors"
    assert settings.inventory("local") == REPO_ROOT / "ansible" / "inventories" / "local"
    assert settings.dockerfile == TEMPLATE_DOCKERFILE


@pytest.mark.parametrize(("key", "value"), [
    ("image_name", "Visitors!"), ("base_image", "UPPER:case"),
    ("dockerfile", "docker/Nope")])
def test_a_bad_setting_is_an_input_error_naming_its_key(key: str, value: str) -> None:
    with pytest.raises(InputError, match=f"^PIPELINE_{key.upper()}: "):
        ShipSettings.from_config(load_config(**{key: value}))


def test_an_unknown_environment_is_an_input_error() -> None:
    settings = ShipSettings.from_config(load_config())
    with pytest.raises(InputError,
                       match="unknown environment 'qa' \\(known: fleet, local, production, "
                             "staging\\)"):
        settings.inventory("qa")


def test_the_environments_are_the_inventories_folders(tmp_path: Path) -> None:
    (tmp_path / "qa").mkdir()
    (tmp_path / "qa" / "hosts.yml").write_text("all: {}\n")
    (tmp_path / ".cache").mkdir()
    (tmp_path / "notes.txt").write_text("not an environment\n")
    settings = ShipSettings.from_config(load_config(inventories_dir=str(tmp_path)))
    assert settings.environments == ("qa",)
    assert settings.inventory("qa") == tmp_path / "qa"
    with pytest.raises(InputError, match="^unknown environment 'local' \\(known: qa\\)$"):
        settings.inventory("local")


def test_playbook_command_uses_this_interpreter() -> None:
    command = ansible.playbook_command(Path("/a/deploy.yml"), Path("/a/inventories/local"))
    assert command == [sys.executable, "-m", "ansible.cli.playbook", "-i",
                       "/a/inventories/local", "/a/deploy.yml"]


def test_ansible_runs_with_the_projects_config() -> None:
    env = ansible.ansible_env(Path("/repo/ansible"))
    assert env["ANSIBLE_CONFIG"] == "/repo/ansible/ansible.cfg"


def test_a_failure_reads_as_one_line() -> None:
    failure = ansible.TaskFailure("app-2", "app : Fail the release", "build 3 was not released")
    assert failure.describe() == ("failed on host app-2 at task 'app : Fail the release': "
                                  "build 3 was not released")
    unreachable = ansible.TaskFailure("app-2", "Reach the host", "ssh: no route", True)
    assert unreachable.describe() == "host app-2 is unreachable (ssh: no route)"


def test_results_missing_or_broken_read_as_empty(tmp_path: Path) -> None:
    assert ansible.read_results(tmp_path / "none.json") == ansible.PlaybookResult()
    (tmp_path / "broken.json").write_text("{")
    assert ansible.read_results(tmp_path / "broken.json") == ansible.PlaybookResult()


PLAYBOOK = """\
- name: Play
  hosts: all
  gather_facts: false
  tasks:
    - name: Probe something optional
      ansible.builtin.fail:
        msg: not there
      ignore_errors: true
    - name: Change a file
      ansible.builtin.copy:
        dest: "{{ target }}"
        content: "{{ secret_value }}"
        mode: "0600"
    - name: Try a risky step
      block:
        - name: Refuse politely
          ansible.builtin.fail:
            msg: "no thanks, {{ secret_value }}"
      rescue:
        - name: Give up with the reason
          ansible.builtin.fail:
            msg: "gave up: {{ ansible_failed_result.msg }}"
"""


def run_local(tmp_path: Path, playbook: str, extra: Mapping[str, object]) -> str:
    """Run ``playbook`` on this machine through run_playbook; the StageFailed line, or ''."""
    (tmp_path / "play.yml").write_text(playbook)
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
                         "      ansible_python_interpreter: " + sys.executable + "\n")
    playbooks = REPO_ROOT / "pipeline" / "ansible"
    (tmp_path / "ansible.cfg").write_text((playbooks / "ansible.cfg").read_text().replace(
        "callback_plugins = callback_plugins",
        f"callback_plugins = {playbooks / 'callback_plugins'}"))
    try:
        ansible.run_playbook(tmp_path, "play.yml", inventory, extra, "trying")
    except StageFailed as error:
        return str(error)
    return ""


@pytest.mark.slow
def test_the_callback_names_the_last_failure_not_an_ignored_one(tmp_path: Path) -> None:
    error = run_local(tmp_path, PLAYBOOK, {"target": str(tmp_path / "out.txt"),
                                           "secret_value": "s3cr3t"})
    assert error == ("trying failed on host localhost at task 'Give up with the reason': "
                     "gave up: no thanks, s3cr3t")


@pytest.mark.slow
def test_the_callback_counts_changes_per_host(tmp_path: Path) -> None:
    playbook = PLAYBOOK.split("    - name: Try a risky step")[0]
    target = tmp_path / "out.txt"
    extra = {"target": str(target), "secret_value": "x"}
    assert run_local(tmp_path, playbook, extra) == ""
    assert target.read_text() == "x"
    again = ansible.run_playbook(tmp_path, "play.yml", tmp_path / "hosts.yml", extra, "again")
    assert again.hosts["localhost"]["changed"] == 0
    assert again.hosts["localhost"]["ignored"] == 1


def test_a_vault_without_its_password_file_is_an_input_error(tmp_path: Path) -> None:
    inventory = tmp_path / "ansible" / "inventories" / "prod"
    (inventory / "group_vars" / "all").mkdir(parents=True)
    (inventory / "group_vars" / "all" / "vault.yml").write_text("$ANSIBLE_VAULT;1.1;AES256\n1\n")
    with pytest.raises(InputError, match="^ANSIBLE_VAULT_PASSWORD_FILE is not set: it must "
                                         "name the file holding the password of "):
        deploy.check_vault(inventory, {})
    with pytest.raises(InputError, match="names /nope, which cannot be read"):
        deploy.check_vault(inventory, {"ANSIBLE_VAULT_PASSWORD_FILE": "/nope"})
    password = tmp_path / "password"
    password.write_text("x\n")
    deploy.check_vault(inventory, {"ANSIBLE_VAULT_PASSWORD_FILE": str(password)})


def test_deploy_vars_name_image_build_and_holder() -> None:
    settings = ShipSettings.from_config(load_config())
    extra = deploy.deploy_vars(settings, Version(0, 1, 0, 12), "run-1")
    assert extra["app_image_name"] == "visitors:0.1.0-build.12"
    assert extra["app_version"] == "0.1.0+build.12" and extra["app_build"] == 12
    assert extra["deploy_id"] == "run-1" and "pid" in str(extra["deploy_holder"])
    assert extra["deploy_approved_by"] == "not required"
    approved = deploy.deploy_vars(settings, Version(0, 1, 0, 12), "run-2", "alice")
    assert approved["deploy_approved_by"] == "alice"


@pytest.mark.parametrize("command", [["deploy", "qa"], ["rollback", "qa"], ["smoke", "qa"],
                                     ["status", "qa"], ["provision", "qa"],
                                     ["restore", "qa", "--yes"], ["lock", "status", "qa"],
                                     ["lock", "release", "qa"]])
def test_an_unknown_environment_exits_2_with_one_line(command: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "pipeline", *command], cwd=REPO_ROOT,
                            text=True, capture_output=True, check=False, timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == ("pipeline: error: unknown environment 'qa' "
                             "(known: fleet, local, production, staging)\n")


@pytest.mark.parametrize("command", [["status", "qa"], ["lock", "status", "qa"],
                                     ["smoke", "qa"], ["deploy", "qa"]])
def test_an_environment_without_hosts_yet_exits_2_with_one_line(
        command: list[str], tmp_path: Path) -> None:
    """As the fleet's inventory is before `pipeline fleet up` writes its hosts file."""
    (tmp_path / "qa" / "group_vars" / "all").mkdir(parents=True)
    result = subprocess.run([sys.executable, "-m", "pipeline", *command], cwd=REPO_ROOT,
                            env={**os.environ, "PIPELINE_INVENTORIES_DIR": str(tmp_path),
                                 "PIPELINE_REPORTS_DIR": str(tmp_path / "reports")},
                            text=True, capture_output=True, check=False, timeout=60)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (f"pipeline: error: environment 'qa': no hosts file in "
                             f"{tmp_path / 'qa'} (hosts or hosts.yml or hosts.yaml or "
                             "hosts.ini)\n")
