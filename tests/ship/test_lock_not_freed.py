"""When a run fails and freeing its deploy lock fails too, the first failure stays the message
and the lock left behind is said after it (the unlock's error used to replace it)."""
from pathlib import Path

import pytest

from pipeline.core import config as config_module
from pipeline.ship.deploy import Environment, LockNotFreed

REPO_ROOT = Path(__file__).resolve().parents[2]
# The one database host, where the lock lives, cannot run a module: every task there fails.
HOSTS = """\
all:
  children:
    db:
      hosts:
        db-9:
          ansible_connection: local
          ansible_python_interpreter: /nonexistent/python3
"""


def test_an_unlock_that_fails_keeps_the_first_error(tmp_path: Path) -> None:
    inventory = tmp_path / "inventories" / "qa"
    inventory.mkdir(parents=True)
    (inventory / "hosts.yml").write_text(HOSTS, encoding="utf-8")
    config = config_module.load(REPO_ROOT, {"PIPELINE_INVENTORIES_DIR": str(inventory.parent),
                                            "PIPELINE_REPORTS_DIR": str(tmp_path / "reports")})
    env = Environment(config, "qa")
    with pytest.raises(LockNotFreed) as raised:
        env.run_locked("lock.yml", {"deploy_lock_build": "7"}, "taking the lock of qa",
                       quiet=True)
    message = str(raised.value)
    assert message.startswith("taking the lock of qa failed on host db-9 at task "), message
    assert "; the deploy lock was NOT freed (freeing the deploy lock of qa failed on host " \
           "db-9 at task " in message
    assert message.endswith("`pipeline lock release qa` frees it")
    assert raised.value.exit_code == 1
