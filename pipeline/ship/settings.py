"""The typed settings of the shipping stages (build, push, deploy), from setup.cfg [pipeline].

Validated once, so a typo in an image name or an unknown environment is one clear input error
naming the setup.cfg key, before anything is built or deployed.
"""
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.config import CONFIG_FILE, SECTION, Config
from pipeline.core.errors import InputError

# Docker's reference grammar, simplified: lower-case path components, optional host[:port].
_IMAGE_NAME = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*")
_REGISTRY = re.compile(r"[A-Za-z0-9.-]+(?::[0-9]{1,5})?")
_IMAGE_REFERENCE = re.compile(rf"(?:{_REGISTRY.pattern}/)?{_IMAGE_NAME.pattern}(?::[\w.-]+)?")
_ENVIRONMENT = re.compile(r"[a-z][a-z0-9_-]*")
# The library's playbooks and roles: package data, upgraded with the library.
PLAYBOOKS_DIR = Path(__file__).resolve().parents[1] / "ansible"


@dataclass(frozen=True)
class ShipSettings:
    """Where images come from and go to, and where the environments' inventories live."""

    image_name: str
    registry: str
    base_image: str
    base_image_fallback: str
    dockerfile: Path
    wheelhouse: Path
    ansible_dir: Path
    inventories: Path
    environments: tuple[str, ...]
    deploy_environment: str

    @classmethod
    def from_config(cls, config: Config) -> "ShipSettings":
        """Read and validate the shipping keys; a bad one is an InputError naming it."""
        environments = config.get_list("environments", "local")
        for name in environments:
            _check(_ENVIRONMENT, name, "environments")
        settings = cls(
            image_name=_check(_IMAGE_NAME, config.get("image_name"), "image_name"),
            registry=_check(_REGISTRY, config.get("registry", ""), "registry", optional=True),
            base_image=_check(_IMAGE_REFERENCE, config.get("base_image"), "base_image"),
            base_image_fallback=_check(_IMAGE_REFERENCE, config.get("base_image_fallback"),
                                       "base_image_fallback"),
            dockerfile=config.root / config.get("dockerfile", "docker/Dockerfile"),
            wheelhouse=config.root / config.get("wheelhouse_dir", "build/wheelhouse"),
            ansible_dir=PLAYBOOKS_DIR,
            inventories=config.root / config.get("inventories_dir", "ansible/inventories"),
            environments=environments,
            deploy_environment=config.get("deploy_environment", "local"),
        )
        if not settings.dockerfile.is_file():
            raise InputError(f"{_where('dockerfile')}: {settings.dockerfile} does not exist")
        return settings

    @property
    def repository(self) -> str:
        """The image's repository, with the registry host when one is configured."""
        return f"{self.registry}/{self.image_name}" if self.registry else self.image_name

    def inventory(self, environment: str) -> Path:
        """The inventory of a configured environment; anything else is an input error."""
        if environment not in self.environments:
            raise InputError(f"unknown environment {environment!r} "
                             f"(known: {', '.join(self.environments)})")
        path = self.inventories / environment
        if not path.is_dir():
            raise InputError(f"environment {environment!r} has no inventory at {path}")
        return path


def _check(pattern: re.Pattern[str], value: str, key: str, optional: bool = False) -> str:
    value = value.strip()
    if (optional and not value) or pattern.fullmatch(value):
        return value
    raise InputError(f"{_where(key)}: invalid value {value!r}")


def _where(key: str) -> str:
    return f"{CONFIG_FILE} [{SECTION}] {key}"
