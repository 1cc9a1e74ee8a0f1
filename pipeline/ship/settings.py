"""The typed settings of the shipping stages (build, push, deploy), from the configuration.

Validated once, so a typo in an image name or an unknown environment is one clear input error
naming the key, before anything is built or deployed. The environments are the folders of
``inventories_dir``: adding one is adding its inventory, with nothing else to keep in step.
"""
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.config import Config
from pipeline.core.errors import InputError

# Docker's reference grammar, simplified: lower-case path components, optional host[:port].
_IMAGE_NAME = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*")
REGISTRY = re.compile(r"[A-Za-z0-9.-]+(?::[0-9]{1,5})?")
_IMAGE_REFERENCE = re.compile(rf"(?:{REGISTRY.pattern}/)?{_IMAGE_NAME.pattern}(?::[\w.-]+)?")
# The library's playbooks, roles and image template: package data, upgraded with the library.
PLAYBOOKS_DIR = Path(__file__).resolve().parents[1] / "ansible"
TEMPLATE_DOCKERFILE = Path(__file__).resolve().parents[1] / "templates" / "Dockerfile"


# The names an environment's hosts file may have (the fleet's is written by `pipeline fleet up`).
HOSTS_FILES = ("hosts", "hosts.yml", "hosts.yaml", "hosts.ini")


def hosts_file(inventory: Path) -> Path | None:
    """The environment's hosts file, if it has one yet."""
    return next((inventory / name for name in HOSTS_FILES if (inventory / name).is_file()), None)


def environments(inventories: Path) -> tuple[str, ...]:
    """The environments: the folders of ``inventories``, sorted (hidden ones aside)."""
    if not inventories.is_dir():
        return ()
    return tuple(sorted(path.name for path in inventories.iterdir()
                        if path.is_dir() and not path.name.startswith(".")))


@dataclass(frozen=True)
class ShipSettings:
    """How images are named and built, and where the environments' inventories live (each
    names its registry: ``registry_address``)."""

    image_name: str
    base_image: str
    base_image_fallback: str
    dockerfile: Path
    wheelhouse: Path
    ansible_dir: Path
    inventories: Path
    deploy_environment: str

    @classmethod
    def from_config(cls, config: Config) -> "ShipSettings":
        """Read and validate the shipping keys; a bad one is an InputError naming it."""
        settings = cls(
            image_name=config.matching("image_name", _IMAGE_NAME),
            base_image=config.matching("base_image", _IMAGE_REFERENCE),
            base_image_fallback=config.matching("base_image_fallback", _IMAGE_REFERENCE),
            dockerfile=config.optional_path("dockerfile") or TEMPLATE_DOCKERFILE,
            wheelhouse=config.path("wheelhouse_dir"),
            ansible_dir=PLAYBOOKS_DIR,
            inventories=config.path("inventories_dir"),
            deploy_environment=config.text("deploy_environment"),
        )
        if not settings.dockerfile.is_file():
            raise InputError(f"{config.where('dockerfile')}: {settings.dockerfile} does not "
                             "exist")
        return settings

    @property
    def environments(self) -> tuple[str, ...]:
        """The environments there are: the folders of ``inventories``."""
        return environments(self.inventories)

    def inventory(self, environment: str) -> Path:
        """The inventory of an environment; anything else is an input error."""
        known = self.environments
        if environment not in known:
            raise InputError(f"unknown environment {environment!r} "
                             f"(known: {', '.join(known) or f'none, in {self.inventories}'})")
        inventory = self.inventories / environment
        if hosts_file(inventory) is None:
            raise InputError(f"environment {environment!r}: no hosts file in {inventory} "
                             f"({' or '.join(HOSTS_FILES)})")
        return inventory
