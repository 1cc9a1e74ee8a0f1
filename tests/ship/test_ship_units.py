"""The pure logic of shipping: tags, build arguments, settings, commands, output reading."""
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.ship import ansible, deploy, engine, images, wheelhouse
from pipeline.core import config as config_module
from pipeline.core.config import Config
from pipeline.core.errors import InputError, StageFailed
from pipeline.ship.settings import ShipSettings
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


def test_build_args_bake_version_commit_time_and_base() -> None:
    args = images.build_args(Version(0, 2, 0, 9), "abc", "2026-11-23T08:00:00+00:00",
                             "pipeline/python:3.11-bookworm", "https://example.org/repo")
    assert args == {"BASE_IMAGE": "pipeline/python:3.11-bookworm", "APP_VERSION": "0.2.0+build.9",
                    "APP_COMMIT": "abc", "APP_BUILT_AT": "2026-11-23T08:00:00+00:00",
                    "APP_SOURCE": "https://example.org/repo"}


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
    assert settings.repository == "127.0.0.1:5000/visitors"
    assert settings.inventory("local") == REPO_ROOT / "ansible" / "inventories" / "local"
    assert settings.dockerfile == REPO_ROOT / "docker" / "Dockerfile"


def test_without_registry_the_repository_is_the_bare_name() -> None:
    assert ShipSettings.from_config(load_config(registry="")).repository == "visitors"


@pytest.mark.parametrize(("key", "value"), [
    ("image_name", "Visitors!"), ("registry", "bad host:5000"), ("base_image", "UPPER:case"),
    ("environments", "local, Prod"), ("dockerfile", "docker/Nope")])
def test_a_bad_setting_is_an_input_error_naming_its_key(key: str, value: str) -> None:
    with pytest.raises(InputError, match=f"setup.cfg \\[pipeline\\] {key}"):
        ShipSettings.from_config(load_config(**{key: value}))


def test_an_unknown_environment_is_an_input_error() -> None:
    settings = ShipSettings.from_config(load_config())
    with pytest.raises(InputError, match="unknown environment 'qa' \\(known: local, staging"):
        settings.inventory("qa")


def test_an_environment_without_inventory_is_an_input_error(tmp_path: Path) -> None:
    settings = ShipSettings.from_config(load_config(inventories_dir=str(tmp_path)))
    with pytest.raises(InputError, match="has no inventory"):
        settings.inventory("local")


def test_the_wheelhouse_list_is_setup_cfgs_app_extra(tmp_path: Path) -> None:
    setup_cfg = tmp_path / "setup.cfg"
    setup_cfg.write_text("[options.extras_require]\n# run time\napp =\n    Flask>=3\n"
                         "    # a comment\n    gunicorn>=23\ndev =\n    pytest\n")
    assert wheelhouse.app_requirements(setup_cfg) == ["Flask>=3", "gunicorn>=23"]
    assert wheelhouse.requirements_text(["a", "b"]) == "a\nb\n"


def test_the_real_app_extra_is_what_the_image_installs() -> None:
    requirements = wheelhouse.app_requirements(REPO_ROOT / "setup.cfg")
    assert any(line.startswith("gunicorn") for line in requirements)
    assert any(line.startswith("Flask-Migrate") for line in requirements)


def test_an_empty_app_extra_is_an_input_error(tmp_path: Path) -> None:
    setup_cfg = tmp_path / "setup.cfg"
    setup_cfg.write_text("[options.extras_require]\ndev =\n    pytest\n")
    with pytest.raises(InputError, match="app: lists no requirement"):
        wheelhouse.app_requirements(setup_cfg)


def test_a_wheelhouse_is_current_only_for_the_same_requirements(tmp_path: Path) -> None:
    assert not wheelhouse.is_current(tmp_path, "a\n")
    (tmp_path / "requirements.txt").write_text("a\n")
    assert not wheelhouse.is_current(tmp_path, "a\n")  # no wheel yet
    (tmp_path / "a-1-py3-none-any.whl").write_text("")
    assert wheelhouse.is_current(tmp_path, "a\n")
    assert not wheelhouse.is_current(tmp_path, "a\nb\n")


def test_playbook_command_uses_this_interpreter_and_json_extra_vars() -> None:
    command = ansible.playbook_command(Path("/a/deploy.yml"), Path("/a/inventories/local"),
                                       {"app_build": 7, "app_image": "r/v:1"})
    assert command[:3] == [sys.executable, "-m", "ansible.cli.playbook"]
    assert command[3:6] == ["-i", "/a/inventories/local", "/a/deploy.yml"]
    assert json.loads(command[command.index("--extra-vars") + 1]) == {"app_build": 7,
                                                                      "app_image": "r/v:1"}


def test_ansible_runs_with_the_projects_config() -> None:
    env = ansible.ansible_env(Path("/repo/ansible"))
    assert env["ANSIBLE_CONFIG"] == "/repo/ansible/ansible.cfg"


OUTPUT = """\
TASK [postgres : Run PostgreSQL] ***********************************************
ok: [localhost]

TASK [app : Probe something optional] ******************************************
fatal: [localhost]: FAILED! => {"changed": false, "msg": "not there"}
...ignoring

TASK [app : Check that the new release became healthy] *************************
fatal: [app-2.example.com]: FAILED! =>
    assertion: app_started.container.State.Health.Status == 'healthy'
    changed: false
    msg: visitors-app-b3 did not become healthy within 20s (timeout)

TASK [app : Fail the release] **************************************************
fatal: [app-2.example.com]: FAILED! => {"changed": false, "msg": "build 3 was not released"}
"""


def watch(text: str) -> ansible.ProgressWatcher:
    """Feed ``text`` to a watcher in uneven pieces, as a pipe delivers it."""
    watcher = ansible.ProgressWatcher(io.StringIO())
    for start in range(0, len(text), 97):
        watcher.write(text[start:start + 97])
    return watcher


def test_the_first_real_failure_names_host_task_and_message() -> None:
    failure = watch(OUTPUT).close_run()
    assert failure == ansible.TaskFailure(
        host="app-2.example.com", task="app : Check that the new release became healthy",
        message="visitors-app-b3 did not become healthy within 20s (timeout)")


def test_an_ignored_failure_is_not_the_failure() -> None:
    ignored_only = OUTPUT.split("TASK [app : Check")[0]
    assert watch(ignored_only).close_run() is None


def test_an_unreachable_host_is_a_failure() -> None:
    text = ("TASK [Gathering Facts] *****\n"
            'fatal: [db-1]: UNREACHABLE! => {"changed": false, "msg": "ssh: no route"}\n')
    assert watch(text).close_run() == ansible.TaskFailure("db-1", "Gathering Facts",
                                                          "ssh: no route")


def test_a_block_scalar_message_is_read_whole() -> None:
    text = ("TASK [Check that the migrations succeeded] ***\n"
            "fatal: [localhost]: FAILED! =>\n"
            "    assertion: deploy_migration.status == 0\n"
            "    msg: |-\n"
            "        migrations of build 4 failed:\n"
            "        division by zero\n"
            "    changed: false\n"
            "\n"
            "TASK [Free the lock] ***\n")
    failure = watch(text).close_run()
    assert failure is not None
    assert failure.message == "migrations of build 4 failed: division by zero"


def test_a_block_message_at_the_end_of_the_output_is_kept() -> None:
    text = "TASK [t] ***\nfatal: [h]: FAILED! =>\n    msg: >-\n        went wrong\n"
    assert watch(text).close_run() == ansible.TaskFailure("h", "t", "went wrong")


def test_a_failed_loop_item_is_a_failure() -> None:
    text = ("TASK [app : Remove images] ***\n"
            "failed: [web-1] (item=r/v:1) => \n"
            "    changed: false\n"
            "    msg: 'Error removing image'\n")
    assert watch(text).close_run() == ansible.TaskFailure("web-1", "app : Remove images",
                                                          "Error removing image")


def test_the_watcher_passes_output_through() -> None:
    stream = io.StringIO()
    watcher = ansible.ProgressWatcher(stream)
    watcher.write("TASK [x] ***\nok: [h]\n")
    assert stream.getvalue() == "TASK [x] ***\nok: [h]\n"


@pytest.mark.slow
def test_a_failed_playbook_raises_with_host_and_task(tmp_path: Path) -> None:
    playbook = tmp_path / "fails.yml"
    playbook.write_text("- name: Fail\n  hosts: localhost\n  gather_facts: false\n  tasks:\n"
                        "    - name: Refuse politely\n"
                        "      ansible.builtin.fail:\n        msg: no thanks\n")
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
                         "      ansible_python_interpreter: " + sys.executable + "\n")
    with pytest.raises(StageFailed, match="^trying failed on host localhost at task "
                                          "'Refuse politely': no thanks$"):
        ansible.run_playbook(tmp_path, "fails.yml", inventory, {}, "trying")


def test_deploy_vars_name_image_build_and_holder() -> None:
    settings = ShipSettings.from_config(load_config())
    extra = deploy.deploy_vars(settings, Version(0, 1, 0, 12), "run-1")
    assert extra["app_image"] == "127.0.0.1:5000/visitors:0.1.0-build.12"
    assert extra["app_version"] == "0.1.0+build.12" and extra["app_build"] == 12
    assert extra["deploy_id"] == "run-1" and "pid" in str(extra["deploy_holder"])
    assert extra["deploy_approved_by"] == "not required"
    approved = deploy.deploy_vars(settings, Version(0, 1, 0, 12), "run-2", "alice")
    assert approved["deploy_approved_by"] == "alice"


def test_status_rows_line_up() -> None:
    rows = deploy.status_rows({"web-1": {"recorded": "0.1.0+build.2", "serving": "0.1.0+build.2",
                                         "commit": "abc", "deployed_at": "t", "deployed_by": "me"}})
    assert rows[0].split() == list(deploy.STATUS_COLUMNS)
    assert rows[1].split() == ["web-1", "0.1.0+build.2", "0.1.0+build.2", "abc", "t", "me"]
    assert rows[0].index("recorded") == rows[1].index("0.1.0+build.2")


@pytest.mark.parametrize("command", [["deploy", "qa"], ["rollback", "qa"], ["smoke", "qa"],
                                     ["status", "qa"], ["provision", "qa"]])
def test_an_unknown_environment_exits_2_with_one_line(command: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "pipeline", *command], cwd=REPO_ROOT,
                            text=True, capture_output=True, check=False, timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == ("pipeline: error: unknown environment 'qa' "
                             "(known: local, staging, production)\n")
