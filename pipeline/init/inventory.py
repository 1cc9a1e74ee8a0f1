"""The service's Ansible inventories: ``local`` ready to deploy to on this machine, staging and
production as commented examples to fill in.

The examples live in a hidden folder of the inventories (``.examples``): every other folder is
an environment, and an environment with no hosts would fail ``pipeline check`` until filled in.

Two stacks on one machine must not share a port. The library's default proxy port keeps the
reference stack's ports (8080, status 8081, releases 8001 and 8002, monitoring the role's
defaults); any other proxy port P takes the next eight (releases P+1 and P+2, status P+3,
monitoring P+4 to P+8), so the two stacks live side by side.
"""
from dataclasses import dataclass

from pipeline.init.templates import comment_out, fill

DEFAULT_PROXY_PORT = 8080
DEFAULT_STATUS_PORT = 8081
DEFAULT_APP_PORTS = (8001, 8002)
LOCAL_REGISTRY = "127.0.0.1:5000"
FILES = ("hosts.yml", "group_vars/all/main.yml")
# The monitoring role's listeners, each a port of its own on the host.
MONITORING = ("prometheus", "alertmanager", "node_exporter", "postgres_exporter",
              "nginx_exporter")
# Each example environment's private network: 10.0.N.0/24.
EXAMPLES = {"staging": 1, "production": 2}
EXAMPLES_DIR = ".examples"
EXAMPLE_NOTE = ("An example, commented out: copy its folder into the inventories and "
                "uncomment it once it describes your hosts.")


@dataclass(frozen=True)
class LocalPorts:
    """The local stack's ports, derived from its proxy port."""

    proxy: int
    status: int
    app: tuple[int, int]
    # One port per MONITORING listener; empty: the role's defaults.
    monitoring: tuple[int, ...] = ()

    @classmethod
    def of(cls, proxy: int) -> "LocalPorts":
        if proxy == DEFAULT_PROXY_PORT:
            return cls(proxy, DEFAULT_STATUS_PORT, DEFAULT_APP_PORTS)
        return cls(proxy, proxy + 3, (proxy + 1, proxy + 2),
                   tuple(range(proxy + 4, proxy + 4 + len(MONITORING))))

    @property
    def monitoring_lines(self) -> str:
        """The inventory lines that move the monitoring listeners ("" for the defaults)."""
        return "".join(f"monitoring_{name}_port: {port}\n"
                       for name, port in zip(MONITORING, self.monitoring)).rstrip("\n")

    @property
    def note(self) -> str:
        """The comment a non-default stack carries: why its ports are what they are."""
        if self == LocalPorts.of(DEFAULT_PROXY_PORT):
            return ""
        taken = ", ".join(map(str, (DEFAULT_PROXY_PORT, DEFAULT_STATUS_PORT, *DEFAULT_APP_PORTS)))
        return (f"# Clear of the default stack's ports ({taken}), so both can run here: the\n"
                "# releases take proxy_port+1 and +2, nginx's status page proxy_port+3, the\n"
                "# monitoring listeners proxy_port+4 to +8.")


def local(stack_name: str, ports: LocalPorts) -> dict[str, str]:
    """ansible/inventories/local's files, relative to that folder."""
    values = {"stack_name": stack_name, "proxy_port": str(ports.proxy),
              "status_port": str(ports.status), "app_ports": ", ".join(map(str, ports.app)),
              "registry": LOCAL_REGISTRY, "ports_note": ports.note,
              "monitoring_ports": ports.monitoring_lines}
    return {name: fill(f"inventory/local/{name}", values) for name in FILES}


def remote(stack_name: str, environment: str) -> dict[str, str]:
    """An example environment's files, relative to its folder, uncommented."""
    values = {"environment": environment, "subnet": str(EXAMPLES[environment]),
              "stack_name": stack_name,
              "public_host": stack_name if environment == "production"
              else f"{stack_name}-{environment}"}
    return {name: fill(f"inventory/remote/{name}", values) for name in FILES}


def example(stack_name: str, environment: str) -> dict[str, str]:
    """An example environment's files, commented out."""
    return {name: comment_out(text, EXAMPLE_NOTE)
            for name, text in remote(stack_name, environment).items()}
