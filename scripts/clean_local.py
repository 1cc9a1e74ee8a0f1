"""Remove what ``make deploy`` started on this machine: the local stack's containers and network.

The stack's names come from the local inventory (``stack_name``: every container is
``<stack>-...``, the network is ``<stack>``). Its data (the database volume and ``stack_dir``,
which holds the database password that volume was made with, backups and release records) is
kept unless ``--volumes`` is given. Images and the registry stay: they are caches.
"""
import argparse
import shutil
import sys
from pathlib import Path

import docker
from docker.errors import DockerException
import jinja2
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCAL_INVENTORY = REPO_ROOT / "ansible" / "inventories" / "local"


def stack_names(inventory: Path) -> tuple[str, Path]:
    """The stack's name and its state directory, as the inventory sets them."""
    variables = yaml.safe_load((inventory / "group_vars" / "all.yml").read_text(encoding="utf-8"))
    stack_dir = jinja2.Template(str(variables["stack_dir"])).render(**variables)
    return str(variables["stack_name"]), Path(stack_dir)


def clean(inventory: Path, volumes: bool) -> list[str]:
    """Remove the stack's containers and network (and with ``volumes`` its data); say what."""
    stack, stack_dir = stack_names(inventory)
    client = docker.from_env()
    removed = []
    for container in client.containers.list(all=True):
        if container.name.startswith(f"{stack}-"):
            container.remove(force=True)
            removed.append(f"container {container.name}")
    for network in client.networks.list(names=[stack]):
        if network.name == stack:
            network.remove()
            removed.append(f"network {stack}")
    if volumes:
        for volume in client.volumes.list():
            if volume.name.startswith(f"{stack}-"):
                volume.remove(force=True)
                removed.append(f"volume {volume.name}")
        if stack_dir.is_dir():
            shutil.rmtree(stack_dir)
            removed.append(f"directory {stack_dir}")
    return removed


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, clean, print one line per thing removed."""
    parser = argparse.ArgumentParser(prog="clean-local", description=__doc__)
    parser.add_argument("--volumes", action="store_true",
                        help="also remove the stack's data: its volumes and state directory")
    parser.add_argument("--inventory", type=Path, default=LOCAL_INVENTORY,
                        help="the inventory whose stack to remove (default: the local one)")
    args = parser.parse_args(argv)
    try:
        removed = clean(args.inventory, args.volumes)
    except (OSError, KeyError, yaml.YAMLError) as error:
        print(f"clean-local: error: cannot read the stack from {args.inventory}: {error}",
              file=sys.stderr)
        return 2
    except DockerException as error:
        print(f"clean-local: error: the Docker engine does not answer ({error})", file=sys.stderr)
        return 1
    for line in removed or ["nothing to remove"]:
        print(f"clean-local: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
