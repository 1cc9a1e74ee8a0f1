"""Which process holds a deploy lock, and whether it is gone.

A lock records its run's host, pid and start time (clock ticks since boot, from
``/proc/PID/stat``). A run killed outright (SIGKILL, an agent lost) cannot free its lock; on the
same machine the next run sees that the process is gone, as lock.yml does, and takes the lock
over at once instead of waiting for the time-to-live. The start time tells a reused pid apart.
"""
import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def start_time(pid: int) -> str | None:
    """Field 22 of ``/proc/PID/stat`` (after the command name, which may hold spaces), or None
    when there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def identity() -> dict[str, str | int]:
    """This process as a lock records it."""
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "start": start_time(pid) or ""}


def gone(process: Mapping[str, Any] | None) -> bool:
    """Whether ``process`` ran on this machine and has ended (False when it cannot be told)."""
    if not process or process.get("host") != socket.gethostname() or not process.get("pid"):
        return False
    return start_time(int(process["pid"])) != str(process.get("start", ""))
