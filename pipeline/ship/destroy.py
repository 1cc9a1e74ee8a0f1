"""``pipeline destroy ENV``: remove what provision and deploys started for ENV's stack.

pipeline/ansible/destroy.yml does it host by host (so it works for the fleet and real servers as for
this machine), under the deploy lock (never in the middle of a deploy, a rollback or a
restore), and reports what it removed; this module asks for a confirmation where one is due
and prints that report. Data (volumes, ``stack_dir``) goes only when asked for; images
and the registry always stay (they are caches).
"""
from collections.abc import Mapping
from typing import Any

from pipeline.core.config import Config
from pipeline.core.errors import InputError
from pipeline.ship.deploy import Environment

# The environment that is this machine's own, disposable: the one that needs no --yes.
UNCONFIRMED = "local"
# The report's keys, in the order they are removed, and how one of each is called.
REMOVED_KINDS = {"containers": "container", "networks": "network", "volumes": "volume",
                 "directories": "directory"}


def removed_lines(report: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per thing removed, ``HOST: removed KIND NAME``, hosts in order (the hosts'
    reports are ``host-NAME``; unlock.yml's report of the freed lock is not one)."""
    return [f"{host['host']}: removed {one} {name}"
            for key, host in sorted(report.items()) if key.startswith("host-")
            for kind, one in REMOVED_KINDS.items() for name in host[kind]]


def destroy(config: Config, environment: str, volumes: bool = False,
            confirmed: bool = False) -> list[str]:
    """Remove ``environment``'s stack (``volumes``: its data too); return what went."""
    env = Environment(config, environment)
    if env.name != UNCONFIRMED and not confirmed:
        data = " and data" if volumes else ""
        raise InputError(f"destroying removes {env.name}'s containers{data}: confirm with --yes")
    report = env.report("destroy.yml", {"destroy_volumes": volumes},
                        f"destroying {env.name}" + (" with its data" if volumes else ""),
                        locked=True)
    lines = removed_lines(report)
    print("\n".join(lines) if lines else f"{env.name}: nothing to remove")
    return lines
