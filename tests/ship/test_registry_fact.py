"""The registry is a fact of the environment's inventory: registry.yml reads it there, with
Ansible templating it as the hosts will (no host is contacted)."""
from pathlib import Path

import pytest

from pipeline.core import config as config_module
from pipeline.core.errors import InputError
from pipeline.ship import push

REPO_ROOT = Path(__file__).resolve().parents[2]
HOSTS = """\
all:
  children:
    app:
      hosts:
        app-9: {private_address: 192.0.2.20}
    registry:
      hosts:
        registry-9: {private_address: 192.0.2.10}
"""


def environment(tmp_path: Path, registry_line: str) -> config_module.Config:
    """The repository's configuration with one environment, ``qa``, in ``tmp_path``."""
    inventory = tmp_path / "inventories" / "qa"
    (inventory / "group_vars" / "all").mkdir(parents=True)
    (inventory / "hosts.yml").write_text(HOSTS, encoding="utf-8")
    (inventory / "group_vars" / "all" / "main.yml").write_text(
        f"stack_name: qa\n{registry_line}\n", encoding="utf-8")
    return config_module.load(REPO_ROOT, {"PIPELINE_INVENTORIES_DIR": str(inventory.parent),
                                          "PIPELINE_REPORTS_DIR": str(tmp_path / "reports")})


def test_the_local_inventory_names_the_loopback_registry(tmp_path: Path) -> None:
    config = config_module.load(REPO_ROOT, {"PIPELINE_REPORTS_DIR": str(tmp_path)})
    assert push.registry_of(config, "local") == "127.0.0.1:5000"


def test_a_templated_address_is_resolved_from_the_registry_group(tmp_path: Path) -> None:
    config = environment(tmp_path, "registry_address: \"{{ hostvars[groups['registry'][0]]"
                                   ".private_address }}:5000\"")
    assert push.registry_of(config, "qa") == "192.0.2.10:5000"


def test_an_inventory_without_a_registry_is_refused_in_one_line(tmp_path: Path) -> None:
    config = environment(tmp_path, "")
    with pytest.raises(InputError, match=r"^environment qa names no registry: set "
                                         r"registry_address in .*/inventories/qa/group_vars/all$"):
        push.registry_of(config, "qa")


def test_an_address_that_is_not_host_port_is_refused(tmp_path: Path) -> None:
    config = environment(tmp_path, "registry_address: 'https://r.example'")
    with pytest.raises(InputError, match=r"registry_address 'https://r.example' is not "
                                         r"host\[:port\]$"):
        push.registry_of(config, "qa")
