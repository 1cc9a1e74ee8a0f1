"""Loopback ports for the throwaway servers of the benchmarks and tests.

A port asked of the kernel (binding port 0) comes from its ephemeral range
(/proc/sys/net/ipv4/ip_local_port_range, 32768-60999 by default): the range outgoing
connections take their local port from too. A test stack picks its ports minutes before its
containers bind them; meanwhile an outgoing connection (a load generator's, Ansible's,
Docker's) can take one, and the container does not start (a CI run failed so: "driver failed
programming external connectivity on endpoint ...-p58297"). So ports are picked outside that
range, at random, checked free by binding them, and never handed out twice by one process.
"""
import random
import socket
from pathlib import Path

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LINUX_DEFAULT_EPHEMERAL = range(32768, 61000)
# Below this, the ports well-known and registered services usually listen on.
FIRST_PORT = 10000
handed_out: set[int] = set()


def ephemeral_ports(path: Path = EPHEMERAL_RANGE) -> range:
    """The kernel's range of local ports for outgoing connections (Linux's default when it
    cannot be read)."""
    try:
        low, high = (int(value) for value in path.read_text().split())
    except (OSError, ValueError):
        return LINUX_DEFAULT_EPHEMERAL
    return range(low, high + 1)


def is_free(port: int) -> bool:
    """Whether 127.0.0.1:``port`` can be bound now."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(ephemeral: range | None = None, attempts: int = 500) -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now, outside the ephemeral range, and
    not handed out before by this process."""
    ephemeral = ephemeral_ports() if ephemeral is None else ephemeral
    candidates = [port for port in range(FIRST_PORT, 65536)
                  if port not in ephemeral and port not in handed_out]
    for port in random.sample(candidates, min(attempts, len(candidates))):
        if is_free(port):
            handed_out.add(port)
            return port
    raise RuntimeError(f"no free port on 127.0.0.1 from {FIRST_PORT} to 65535 outside the "
                       f"ephemeral range {ephemeral.start}-{ephemeral.stop - 1}")
