"""``pipeline check``: the configuration (the image's keys and the service contract the roles
are handed) and every environment's inventory, without deploying.

A deploy finds a broken inventory only once it has taken the lock and started; this finds it
first, in seconds, on any machine: each environment (a folder of ``inventories_dir``) needs a
hosts file whose groups include the ones the playbooks deploy to. With the deploy extra the
inventory is read by ``ansible-inventory --list`` itself, so what passes here parses there.
"""
import importlib.util
import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeline.core import proc
from pipeline.core.config import Config
from pipeline.core.errors import InputError
from pipeline.ship.ansible import ansible_env
from pipeline.ship.service import Service
from pipeline.ship.settings import HOSTS_FILES, PLAYBOOKS_DIR, ShipSettings, hosts_file

# The groups every playbook deploys to; others (registry, monitoring) are optional.
REQUIRED_GROUPS = ("app", "db", "proxy")
# A file of the inventory Ansible cannot parse is an error, not a warning and no hosts.
STRICT = {"ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "true"}


def check(config: Config) -> list[str]:
    """One line per environment; the first problem is an InputError (one line, exit 2)."""
    settings = ShipSettings.from_config(config)
    Service.from_config(config)  # what the roles will be handed: paths, names, commands
    if not settings.environments:
        raise InputError(f"{config.where('inventories_dir')}: no environment: "
                         f"{config.display(settings.inventories)} has no folder")
    return [check_environment(config, name, settings.inventories / name)
            for name in settings.environments]


def check_environment(config: Config, name: str, inventory: Path) -> str:
    """One environment's inventory: its hosts file, and with Ansible its groups' hosts."""
    found = hosts_file(inventory)
    if found is None:
        raise InputError(f"environment {name!r}: no hosts file in {config.display(inventory)} "
                         f"({' or '.join(HOSTS_FILES)})")
    if importlib.util.find_spec("ansible") is None:
        return (f"{name}: {config.display(found)} "
                "(groups not checked: install the deploy extra)")
    groups = group_hosts(_inventory_list(name, inventory))
    empty = [group for group in REQUIRED_GROUPS if not groups.get(group)]
    if empty:
        raise InputError(f"environment {name!r}: {config.display(found)} has no host in "
                         f"group {', '.join(empty)} (needed: {', '.join(REQUIRED_GROUPS)})")
    return f"{name}: " + ", ".join(f"{group} {', '.join(sorted(groups[group]))}"
                                   for group in REQUIRED_GROUPS)


def group_hosts(listing: Mapping[str, Any]) -> dict[str, set[str]]:
    """Every group of an ``ansible-inventory --list`` document with its hosts, its children's
    included."""
    def hosts_of(group: str, seen: frozenset[str]) -> set[str]:
        entry = listing.get(group, {})
        found = set(entry.get("hosts", ()))
        for child in entry.get("children", ()):
            if child not in seen:
                found |= hosts_of(child, seen | {child})
        return found
    return {group: hosts_of(group, frozenset({group})) for group in listing if group != "_meta"}


def _inventory_list(name: str, inventory: Path) -> Mapping[str, Any]:
    command = proc.python_tool("ansible.cli.inventory", "--list", "-i", str(inventory))
    result = subprocess.run(command, capture_output=True, text=True, check=False,
                            env={**os.environ, **ansible_env(PLAYBOOKS_DIR), **STRICT})
    try:
        listing = json.loads(result.stdout) if result.returncode == 0 else None
    except ValueError:
        listing = None
    if not isinstance(listing, dict):
        lines = [line for line in result.stderr.splitlines() if line.strip()] or ["no output"]
        raise InputError(f"environment {name!r}: ansible-inventory cannot read "
                         f"{inventory}: {lines[-1].strip()}")
    return listing
