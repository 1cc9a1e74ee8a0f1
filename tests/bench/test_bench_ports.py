"""bench/ports.py: ports for throwaway servers, outside the kernel's ephemeral range."""
import socket
from pathlib import Path

import pytest

from bench import ports


def test_ports_are_free_outside_the_ephemeral_range_and_never_handed_out_twice() -> None:
    ephemeral = ports.ephemeral_ports()
    picked = [ports.free_port() for _ in range(50)]

    assert len(set(picked)) == 50
    assert all(port not in ephemeral and ports.FIRST_PORT <= port <= 65535 for port in picked)
    assert all(ports.is_free(port) for port in picked)


def test_a_port_something_listens_on_is_not_free() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", ports.free_port()))
        server.listen()
        assert not ports.is_free(server.getsockname()[1])


def test_the_ephemeral_range_is_read_from_the_kernel_or_defaults(tmp_path: Path) -> None:
    setting = tmp_path / "ip_local_port_range"
    setting.write_text("20000\t45000\n")
    assert ports.ephemeral_ports(setting) == range(20000, 45001)
    setting.write_text("garbage\n")
    assert ports.ephemeral_ports(setting) == range(32768, 61000)
    assert ports.ephemeral_ports(tmp_path / "missing") == range(32768, 61000)


def test_no_port_left_outside_the_ephemeral_range_is_an_error() -> None:
    everything = range(ports.FIRST_PORT, 65536)
    with pytest.raises(RuntimeError, match="^no free port on 127.0.0.1 from 10000 to 65535 "
                                           "outside the ephemeral range 10000-65535$"):
        ports.free_port(everything)
