"""The app's speed targets, as ratios of figures measured in the same run on the same machine.

Ratios rather than absolute rates: load, app and database share a machine whose other work
varies, and a ratio of two runs of the same session cancels most of that out. Each scenario
runs several times, interleaved with the others; a ratio is the median of the ratios of runs
made one after the other (repeat i of one scenario against repeat i of the other), so a burst
of outside load spoils one pair, not the figure.

- ``/`` at least half as fast as ``/version`` of the same server: a page view costs little more
  than the framework's own minimum. Also given by CPU per request (app workers + database;
  the app's alone when the database has CPUs of its own), which a busy machine distorts much
  less than requests/s;
- ``/`` at least 3x the legacy app at a handful of rows and 30x at a million (only with a
  checkout of the legacy app, ``--legacy``);
- p99 of ``/`` at most 50 ms; no lost update, no drift of the unique-visitor total.

Beside the targets, not one of them: ``/`` against the database alone (pgbench running the
page's statement), which says how much of the page's cost is the database's.

Ratios cancel much of the machine's other work, not all of it: the run also says how far
``/version``'s rate moved between repeats, so a verdict made in a noisy run reads as such.
"""
import statistics
from dataclasses import dataclass

from bench.app_throughput.wrk import WrkResult

APP, LEGACY, BASELINE = "app", "legacy", "baseline"
VERSION, PAGE = "/version", "/ returning"
# Repeats of /version further apart than this (fastest minus slowest, over the median) were
# moved by other work: quiet runs of this machine measured 3 to 5%, busy ones 11 to 49%.
NOISY_SPREAD = 0.10


@dataclass(frozen=True)
class Run:
    """One wrk run, and the CPU the app's and database's processes spent per request
    (``database_us``: the database's part of it), their context switches per request, and the
    visits per statement the app sent (None for ``/version`` and the legacy app)."""

    wrk: WrkResult
    cpu_us: float | None = None
    database_us: float | None = None
    switches: float | None = None
    visits_per_statement: float | None = None


# (side, visitor rows, scenario) -> each repeat of that run, in order
Results = dict[tuple[str, int, str], list[Run]]
# visitor rows -> transactions/s of the page's statement on the database alone, each repeat
Alone = dict[int, list[float]]


@dataclass(frozen=True)
class Target:
    """One target: what was measured (None: not measured in this run) against the goal."""

    name: str
    measured: float | None
    goal: float
    at_least: bool
    decimals: int = 2

    @property
    def met(self) -> bool | None:
        if self.measured is None:
            return None
        return self.measured >= self.goal if self.at_least else self.measured <= self.goal


def rate_ratio(results: Results, numerator: tuple[str, int, str],
               denominator: tuple[str, int, str]) -> float | None:
    """The median over repeats of one run's requests/s over the other's, if both ran."""
    pairs = zip(results.get(numerator, []), results.get(denominator, []))
    ratios = [top.wrk.requests_per_second / bottom.wrk.requests_per_second
              for top, bottom in pairs if bottom.wrk.requests_per_second > 0]
    return statistics.median(ratios) if ratios else None


def app_cpu_us(run: Run) -> float | None:
    """The app workers' CPU per request: the run's without the database's part."""
    if run.cpu_us is None or run.database_us is None:
        return None
    return run.cpu_us - run.database_us


def cpu_ratio(results: Results, cheap: tuple[str, int, str], costly: tuple[str, int, str],
              database_apart: bool = False) -> float | None:
    """The median over repeats of CPU per request of ``cheap`` over ``costly``: the rate ratio
    they would have on a machine of their own (when CPU is what limits them). With the
    database on CPUs of its own (``database_apart``), only the app's CPU limits the app: the
    database's part is left out."""
    cost = app_cpu_us if database_apart else (lambda run: run.cpu_us)
    pairs = zip(results.get(cheap, []), results.get(costly, []))
    costs = [(cost(low), cost(high)) for low, high in pairs]
    ratios = [low / high for low, high in costs if low is not None and high]
    return statistics.median(ratios) if ratios else None


def evaluate(results: Results, rows: list[int], lost_updates: int, drift: int,
             database_apart: bool = False) -> list[Target]:
    """Every target this run can speak to; the legacy ones are None without a legacy run.
    ``database_apart``: the database ran on CPUs of its own (``--database-cpus``)."""
    few, many = min(rows), max(rows)
    targets = []
    for count in sorted(set(rows)):
        page, version = (APP, count, PAGE), (APP, count, VERSION)
        targets.append(Target(f"/ vs /version, same server, {count:,} rows",
                              rate_ratio(results, page, version), 0.5, True, decimals=3))
        by_cpu = "app CPU" if database_apart else "by CPU"
        targets.append(Target(f"  same, {by_cpu} per request, {count:,} rows",
                              cpu_ratio(results, version, page, database_apart), 0.5, True,
                              decimals=3))
    targets.append(Target(f"/ vs legacy /, {few:,} rows",
                          rate_ratio(results, (APP, few, PAGE), (LEGACY, few, PAGE)), 3, True))
    if many != few:
        targets.append(Target(f"/ vs legacy /, {many:,} rows",
                              rate_ratio(results, (APP, many, PAGE), (LEGACY, many, PAGE)),
                              30, True))
    page_p99 = [statistics.median(run.wrk.p99_ms for run in runs)
                for (side, _, scenario), runs in results.items()
                if side == APP and scenario.startswith("/ ") and runs]
    targets.append(Target("p99 of / (worst scenario's median), ms", max(page_p99, default=None), 50,
                          False, decimals=1))
    targets.append(Target("lost updates + counter drift", float(lost_updates + abs(drift)), 0,
                          False, decimals=0))
    return targets


def alone_lines(results: Results, alone: Alone, clients: int) -> list[str]:
    """For each table size, ``/``'s rate over the database alone's (the median over repeats,
    paired in order like the targets' ratios); one line saying why when it was not measured."""
    if not alone:
        return ["/ vs the database alone: not measured (no pgbench: apt-get install -y "
                "postgresql)"]
    lines = []
    for rows, rates in sorted(alone.items()):
        pairs = zip(results.get((APP, rows, PAGE), []), rates)
        ratios = [run.wrk.requests_per_second / rate for run, rate in pairs if rate > 0]
        ratio = f"{statistics.median(ratios):.3f}" if ratios else "-"
        lines.append(f"/ vs the database alone, {rows:,} rows: {ratio} (the page's statement "
                     f"from pgbench, {clients} clients: {statistics.median(rates):,.0f} "
                     "transactions/s)")
    return lines


def baseline_lines(results: Results, rows: list[int]) -> list[str]:
    """For each table size, ``/`` against the baseline's (``--baseline``), and each side's
    ``/`` against its own ``/version``: medians of ratios paired by repeat, as above."""
    lines = []
    for count in sorted(set(rows)):
        ratios = [rate_ratio(results, (APP, count, PAGE), (BASELINE, count, PAGE)),
                  rate_ratio(results, (APP, count, PAGE), (APP, count, VERSION)),
                  rate_ratio(results, (BASELINE, count, PAGE), (BASELINE, count, VERSION))]
        this, of_app, of_baseline = ("-" if ratio is None else f"{ratio:.3f}" for ratio in ratios)
        lines.append(f"/ vs baseline /, {count:,} rows: {this} (/ vs /version: {of_app} here, "
                     f"{of_baseline} in the baseline)")
    return lines


def table(targets: list[Target]) -> str:
    """The targets as aligned text lines."""
    verdicts = {True: "met", False: "MISSED", None: "not measured"}
    lines = [f"{'target':<44} {'measured':>10} {'goal':>10}  verdict"]
    for target in targets:
        measured = "-" if target.measured is None else f"{target.measured:.{target.decimals}f}"
        goal = f"{'>=' if target.at_least else '<='} {target.goal:g}"
        lines.append(f"{target.name:<44} {measured:>10} {goal:>10}  {verdicts[target.met]}")
    return "\n".join(lines)


def rate_spread(runs: list[Run]) -> float | None:
    """(fastest - slowest) / median requests/s of a scenario's repeats; None under two."""
    rates = [run.wrk.requests_per_second for run in runs]
    if len(rates) < 2:
        return None
    median = statistics.median(rates)
    return (max(rates) - min(rates)) / median if median > 0 else None


def noise(results: Results, rows: list[int]) -> str:
    """One line: how much ``/version`` moved between repeats, and whether that spoils the run."""
    measured = {count: spread for count in sorted(set(rows))
                if (spread := rate_spread(results.get((APP, count, VERSION), []))) is not None}
    if not measured:
        return "machine noise: not measured (a scenario needs 2 repeats or more)"
    figures = ", ".join(f"{spread:.0%} at {count:,} rows" for count, spread in measured.items())
    line = f"machine noise: /version's requests/s moved {figures} between repeats"
    if max(measured.values()) > NOISY_SPREAD:
        return (f"{line}: over {NOISY_SPREAD:.0%}, other work on this machine moved the "
                "figures; run again when it is quieter")
    return f"{line} (at most {NOISY_SPREAD:.0%}: a quiet run)"
