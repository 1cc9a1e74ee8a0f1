"""The service contract as the playbooks receive it: one ``service`` variable.

Everything the roles know about the service they deliver comes from here (the paths it answers,
its port, its migration commands, its environment), read from the configuration's "run" keys,
so no role names an endpoint, a command or a variable of any one service. Each playbook checks
this variable against ``pipeline/ansible/vars/service_spec.yml`` before it changes anything.
"""
import re
import shlex
from dataclasses import asdict, dataclass

from pipeline.core.config import Config
from pipeline.core.errors import InputError

_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PATH = re.compile(r"/[^\s?#]*")
_A_PATH = "a path starting with '/'"
_A_NAME = "a name (letters, digits, '_')"
_METRIC = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_A_METRIC = "a Prometheus metric name (letters, digits, '_', ':')"


@dataclass(frozen=True)
class Service:
    """What the roles need to start, check, migrate and record one release of the service."""

    port: int
    health_path: str
    ready_path: str
    version_path: str
    version_field: str
    metrics_path: str
    metrics_requests_counter: str
    metrics_latency_histogram: str
    migrate_command: tuple[str, ...]
    migrate_check_command: tuple[str, ...]
    migrate_lock: bool
    schema_table: str
    database_url_env: str
    env: dict[str, str]

    @classmethod
    def from_config(cls, config: Config) -> "Service":
        """Read and check the "run" keys; a bad one is one InputError naming it."""
        health = config.matching("health_path", _PATH, _A_PATH)
        return cls(
            port=_port(config),
            health_path=health,
            ready_path=config.matching("ready_path", _PATH, _A_PATH, optional=True) or health,
            version_path=config.matching("version_path", _PATH, _A_PATH, optional=True),
            version_field=config.matching("version_field", _VARIABLE, _A_NAME),
            metrics_path=config.matching("metrics_path", _PATH, _A_PATH, optional=True),
            metrics_requests_counter=config.matching("metrics_requests_counter", _METRIC,
                                                     _A_METRIC, optional=True),
            metrics_latency_histogram=config.matching("metrics_latency_histogram", _METRIC,
                                                      _A_METRIC, optional=True),
            migrate_command=_command(config, "migrate_command"),
            migrate_check_command=_command(config, "migrate_check_command"),
            migrate_lock=config.flag("migrate_lock"),
            schema_table=config.matching("schema_table", _VARIABLE, _A_NAME, optional=True),
            database_url_env=config.matching("database_url_env", _VARIABLE, _A_NAME),
            env=_environment(config),
        )

    def as_vars(self) -> dict[str, object]:
        """The ``service`` extra variable (JSON types only: lists, not tuples)."""
        return {name: list(value) if isinstance(value, tuple) else value
                for name, value in asdict(self).items()}


def _port(config: Config) -> int:
    port = config.number("port")
    if not 0 < port < 65536:
        raise InputError(f"{config.where('port')}: {port} is not a port (1 to 65535)")
    return port


def _command(config: Config, key: str) -> tuple[str, ...]:
    try:
        return tuple(shlex.split(config.text(key)))
    except ValueError as error:
        raise InputError(f"{config.where(key)}: {error}") from None


def _environment(config: Config) -> dict[str, str]:
    """``env``: NAME=VALUE items (one per line when a value holds spaces or commas); a name
    given twice is a mistake."""
    found: dict[str, str] = {}
    for item in config.items("env"):
        name, equals, value = item.partition("=")
        if not equals or not _VARIABLE.fullmatch(name):
            raise InputError(f"{config.where('env')}: {item!r} is not NAME=VALUE")
        if name in found:
            raise InputError(f"{config.where('env')}: {name} is given twice")
        found[name] = value
    return found
