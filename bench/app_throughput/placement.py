"""Which CPUs the database runs on, and which the app and the load (``--database-cpus``).

By default load, app and database share every CPU of the machine. Deployed, the database has a
host of its own (the inventory's ``db`` group), and on a small machine a co-located database
takes more than its statement's CPU from the app: its backends wake and preempt the app's
threads and refill the caches they share. ``--database-cpus 1`` models the deployed shape on
one machine: the throwaway cluster (and every backend it forks) runs on CPU 1, and the
benchmark, gunicorn, wrk and pgbench on the others.
"""
from dataclasses import dataclass


def parse_cpu_list(text: str) -> frozenset[int]:
    """CPU numbers in taskset's list syntax: ``1``, ``0,2``, ``2-3``."""
    cpus: set[int] = set()
    for part in text.split(","):
        first, dash, last = part.strip().partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            raise ValueError(f"expected CPU numbers such as 1, 0,2 or 2-3, got {text!r}")
        low, high = int(first), int(last) if dash else int(first)
        if high < low:
            raise ValueError(f"the range {part.strip()} is backwards")
        cpus.update(range(low, high + 1))
    return frozenset(cpus)


def listed(cpus: frozenset[int]) -> str:
    return ",".join(str(cpu) for cpu in sorted(cpus))


@dataclass(frozen=True)
class Placement:
    """The database's CPUs and the rest's; ``database`` empty: everything shares ``app``."""

    app: frozenset[int]
    database: frozenset[int] = frozenset()

    @classmethod
    def split(cls, available: frozenset[int], database: frozenset[int]) -> "Placement":
        """The database on ``database``, the rest on the other ``available`` CPUs; a
        ValueError saying what is wrong when that cannot be."""
        missing = database - available
        if missing:
            raise ValueError(f"CPU {listed(missing)} is not available to this process "
                             f"(available: {listed(available)})")
        if database == available:
            raise ValueError(f"it leaves no CPU for the app and the load: give the database "
                             f"some of {listed(available)}, not all")
        return cls(app=available - database, database=database)

    def describe(self) -> str:
        """For the run's first line."""
        if not self.database:
            return f"{len(self.app)} CPUs shared by load, app and database"
        return (f"the database on CPU {listed(self.database)}, load and app on CPU "
                f"{listed(self.app)}")
