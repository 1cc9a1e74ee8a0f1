"""CPU seconds and context switches of the app's and the database's processes, from /proc
(Linux).

Throughput on a shared machine depends on what else runs there; the CPU the serving
processes spend per request does much less. So each run also records the CPU time of the
gunicorn workers and of the PostgreSQL server's processes (backends, WAL writer...), and the
targets compare it per request as well. Context switches per request say why a request that
waits costs more CPU than its own work: each switch is a thread put to sleep or woken (for the
database's answer, a WAL flush, the GIL), and a cache refilled after it.
"""
import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(stat_line: str) -> tuple[int, float, float]:
    """(parent pid, user + system CPU seconds, those of its ended children it has reaped) from
    a /proc/PID/stat line."""
    fields = stat_line[stat_line.rindex(")") + 2:].split()
    return (int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS,
            (int(fields[13]) + int(fields[14])) / CLOCK_TICKS)


@dataclass(frozen=True)
class Usage:
    """What a set of processes has spent so far: CPU seconds, and context switches."""

    cpu: float = 0.0
    switches: int = 0

    def __sub__(self, earlier: "Usage") -> "Usage":
        return Usage(self.cpu - earlier.cpu, self.switches - earlier.switches)


def thread_switches(process: Path) -> int:
    """Voluntary and involuntary context switches of every live thread of ``process`` (its
    /proc directory); a thread that has ended takes its count with it."""
    total = 0
    for status in process.glob("task/*/status"):
        try:
            lines = status.read_text().splitlines()
        except OSError:
            continue  # ended while being read
        for line in lines:
            name, _, value = line.partition(":")
            if name in ("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"):
                total += int(value)
    return total


def children_usage(parents: set[int], proc: Path = PROC) -> Usage:
    """What the live processes whose parent is one of ``parents``, and the parents, spent.

    The parents' CPU includes their children that have ended (the kernel adds a child's to its
    parent's when the parent reaps it), so a backend or worker that exits between two readings
    does not take its CPU out of the difference; its context switches do go with it.
    """
    cpu, switches = 0.0, 0
    for stat in proc.glob("[0-9]*/stat"):
        try:
            parent, seconds, reaped = process_cpu(stat.read_text())
        except (OSError, ValueError, IndexError):
            continue  # ended while being read
        is_parent = int(stat.parent.name) in parents
        if is_parent or parent in parents:
            cpu += seconds + (reaped if is_parent else 0.0)
            switches += thread_switches(stat.parent)
    return Usage(cpu, switches)


def postmaster_pid(data_dir: Path) -> int | None:
    """The PostgreSQL server's pid, from its data directory's postmaster.pid."""
    try:
        return int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
