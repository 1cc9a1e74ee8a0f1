"""``pipeline check``: is this repository ready to deploy? Without deploying anything."""
import argparse

from pipeline.configuration import check
from pipeline.core.config import Config

ORDER = 25


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``check``."""
    parser = subparsers.add_parser(
        "check", help="validate the configuration and every environment's inventory",
        description="Validate the configuration (unknown keys, values of the wrong kind, the "
                    "image settings), then each environment: a folder of inventories_dir with "
                    "a hosts file whose groups " + ", ".join(check.REQUIRED_GROUPS) + " have "
                    "hosts (read by ansible-inventory when the deploy extra is installed). "
                    "One line per environment; the first problem is one line and exit 2.")
    parser.set_defaults(handler=_check)


def _check(config: Config, args: argparse.Namespace) -> None:
    for line in check.check(config):
        print(line)
