"""``fleet up|down``: containers on this machine that act as servers, for multi-host deploys."""
import argparse
from typing import TYPE_CHECKING

from pipeline.core.config import Config

if TYPE_CHECKING:
    from pipeline.ship.fleet import Fleet

ORDER = 70
# The fleet is made with the docker SDK and its secrets with ansible-vault.
EXTRA = "deploy"
DEFAULT_NAME = "fleet"


def fleet_of(config: Config, name: str = DEFAULT_NAME) -> "Fleet":
    """The fleet ``name``: its inventory is NAME in inventories_dir, its files build/NAME."""
    from pipeline.ship.fleet import Fleet
    inventories = config.path("inventories_dir")
    return Fleet(name, inventories / name, config.root / "build" / name)


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``fleet up`` and ``fleet down``."""
    fleet = subparsers.add_parser(
        "fleet", help="make or remove the fleet: containers that act as SSH hosts",
        description="Hosts proxy-1 (also registry and monitoring), app-1, app-2 and db-1: each "
                    "a container running sshd, with its own Docker engine once provisioned, on "
                    "a network of their own. `pipeline provision fleet` then prepares them like "
                    "real servers.")
    actions = fleet.add_subparsers(dest="action", metavar="ACTION", required=True)
    up = actions.add_parser(
        "up", help="make the hosts, an SSH key, the inventory and its encrypted secrets",
        description="Builds the host image from Debian's packages once (about 90 s), starts "
                    "the hosts, writes ansible/inventories/fleet/hosts.yml and an encrypted "
                    "group_vars/all/vault.yml, and build/fleet/env: the credentials a deploy to "
                    "the fleet needs (source it). Running it again completes a partial fleet.")
    up.set_defaults(handler=_up)
    down = actions.add_parser(
        "down", help="remove the hosts, their volumes, the network and the generated files",
        description="Removes every container, volume and network `fleet up` made, with the "
                    "hosts' cgroups, the generated inventory files and build/fleet.")
    down.set_defaults(handler=_down)


def _up(config: Config, args: argparse.Namespace) -> None:
    from pipeline.ship import fleet
    fleet.up(fleet_of(config))


def _down(config: Config, args: argparse.Namespace) -> None:
    from pipeline.ship import fleet
    fleet.down(fleet_of(config))
