"""A failed playbook is one line naming host and task; at a task tagged ``input`` (a check of
what the caller asked for) it is bad input, exit 2, not a failed run."""
from pathlib import Path

import pytest

from pipeline.core.errors import InputError, StageFailed
from pipeline.ship import ansible
from pipeline.ship.settings import PLAYBOOKS_DIR

PLAYBOOK = """\
- name: Check what was asked
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Check that build {{ wanted }} is kept
      ansible.builtin.assert:
        that: wanted | int in [1, 2]
        fail_msg: no build {{ wanted }} (kept 1, 2)
      tags: %s
"""


def run(tmp_path: Path, tags: str) -> None:
    playbook = tmp_path / "check.yml"
    playbook.write_text(PLAYBOOK % tags, encoding="utf-8")
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n",
                         encoding="utf-8")
    ansible.run_playbook(PLAYBOOKS_DIR, str(playbook), inventory, {"wanted": 7},
                         "checking", quiet=True)


def test_a_failed_input_check_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        run(tmp_path, "[input]")
    assert str(raised.value) == ("checking failed on host localhost at task 'Check that build "
                                 "7 is kept': no build 7 (kept 1, 2)")
    assert raised.value.exit_code == 2


def test_any_other_failed_task_is_a_failed_run(tmp_path: Path) -> None:
    with pytest.raises(StageFailed) as raised:
        run(tmp_path, "[]")
    assert not isinstance(raised.value, InputError)
    assert raised.value.exit_code == 1
