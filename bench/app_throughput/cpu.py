"""CPU seconds spent by the app's and the database's processes, from /proc (Linux).

Throughput on a shared machine depends on what else runs there; the CPU the serving
processes spend per request does much less. So each run also records the CPU time of the
gunicorn workers and of the PostgreSQL server's processes (backends, WAL writer...), and the
targets compare it per request as well.
"""
import os
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(stat_line: str) -> tuple[int, float]:
    """(parent pid, user + system CPU seconds) from a /proc/PID/stat line."""
    fields = stat_line[stat_line.rindex(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children_cpu(parents: set[int], proc: Path = PROC) -> float:
    """CPU seconds of the live processes whose parent is one of ``parents``, and the parents'."""
    total = 0.0
    for stat in proc.glob("[0-9]*/stat"):
        try:
            parent, seconds = process_cpu(stat.read_text())
        except (OSError, ValueError, IndexError):
            continue  # ended while being read
        if parent in parents or int(stat.parent.name) in parents:
            total += seconds
    return total


def postmaster_pid(data_dir: Path) -> int | None:
    """The PostgreSQL server's pid, from its data directory's postmaster.pid."""
    try:
        return int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
