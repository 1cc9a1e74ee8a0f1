"""The helpers the app's tests and benchmark share: finding PostgreSQL, reading wrk's output."""
import os
from pathlib import Path

import pytest

from bench.app_throughput.cpu import Usage, children_usage
from bench.app_throughput.pg_cluster import PostgresNotInstalled, find_bin_dir, with_database
from bench.app_throughput.targets import (APP, LEGACY, PAGE, VERSION, Run, evaluate, noise,
                                          table)
from bench.app_throughput.wrk import WrkResult, parse

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8000/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     9.10ms    3.21ms  41.02ms   71.40%
    Req/Sec     1.77k   130.55     2.05k    68.00%
  Latency Distribution
     50%    8.52ms
     75%   10.60ms
     90%   13.11ms
     99%    1.02s
  35281 requests in 10.01s, 9.02MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:   3524.71
Transfer/sec:    922.32KB
"""


def test_wrk_figures_are_read_with_their_units() -> None:
    result = parse(WRK_OUTPUT)
    assert (result.requests, result.requests_per_second) == (35281, 3524.71)
    assert result.p99_ms == pytest.approx(1020.0)
    assert result.errors == 7


def test_unexpected_wrk_output_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="unexpected wrk output"):
        parse("wrk: command failed")


def test_missing_postgresql_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(PostgresNotInstalled, match=r"apt-get install -y postgresql"):
        find_bin_dir(tmp_path)


def test_the_newest_installed_postgresql_is_used(tmp_path: Path) -> None:
    for version in ("9", "15", "13"):
        (tmp_path / version / "bin").mkdir(parents=True)
        (tmp_path / version / "bin" / "initdb").touch()
    assert find_bin_dir(tmp_path) == tmp_path / "15" / "bin"


def test_database_urls_keep_the_server_and_change_the_database() -> None:
    assert with_database("postgresql+psycopg://app:pw@db:5433/postgres", "test_1") == \
        "postgresql://app:pw@db:5433/test_1"


def wrk_result(rate: float, p99_ms: float = 10.0, cpu_us: float | None = None) -> Run:
    return Run(WrkResult(requests=int(rate * 10), requests_per_second=rate, p99_ms=p99_ms,
                         errors=0), cpu_us)


def test_targets_are_medians_of_ratios_of_runs_side_by_side() -> None:
    results = {(APP, 10, VERSION): [wrk_result(2000, cpu_us=800), wrk_result(1000, cpu_us=900),
                                    wrk_result(2000, cpu_us=700)],
               (APP, 10, PAGE): [wrk_result(1100, 30, 1600), wrk_result(550, 90, 1000),
                                 wrk_result(400, 35, 2000)],
               (APP, 10, "/ one client"): [wrk_result(900, 61)],
               (LEGACY, 10, PAGE): [wrk_result(300)],
               (APP, 1_000_000, VERSION): [wrk_result(2000)],
               (APP, 1_000_000, PAGE): [wrk_result(900, 40)],
               (LEGACY, 1_000_000, PAGE): [wrk_result(20)]}
    verdicts = {target.name: (target.measured, target.met)
                for target in evaluate(results, [10, 1_000_000], lost_updates=0, drift=0)}
    assert verdicts == {
        "/ vs /version, same server, 10 rows": (0.55, True),
        "  same, by CPU per request, 10 rows": (0.5, True),
        "/ vs /version, same server, 1,000,000 rows": (0.45, False),
        "  same, by CPU per request, 1,000,000 rows": (None, None),
        "/ vs legacy /, 10 rows": (pytest.approx(3.667, abs=1e-3), True),
        "/ vs legacy /, 1,000,000 rows": (45.0, True),
        "p99 of / (worst scenario's median), ms": (61.0, False),
        "lost updates + counter drift": (0.0, True)}


def test_without_a_legacy_run_its_targets_are_not_measured() -> None:
    results = {(APP, 10, VERSION): [wrk_result(2000)], (APP, 10, PAGE): [wrk_result(1000)]}
    text = table(evaluate(results, [10], lost_updates=2, drift=-1))
    assert text.splitlines()[1:] == [
        "/ vs /version, same server, 10 rows               0.500     >= 0.5  met",
        "  same, by CPU per request, 10 rows                   -     >= 0.5  not measured",
        "/ vs legacy /, 10 rows                                -       >= 3  not measured",
        "p99 of / (worst scenario's median), ms             10.0      <= 50  met",
        "lost updates + counter drift                          3       <= 0  MISSED"]


def test_a_ratio_just_short_of_its_goal_is_not_printed_as_the_goal() -> None:
    results = {(APP, 10, VERSION): [wrk_result(2000)], (APP, 10, PAGE): [wrk_result(994)]}
    line = table(evaluate(results, [10], lost_updates=0, drift=0)).splitlines()[1]
    assert line.split()[-4:] == ["0.497", ">=", "0.5", "MISSED"]


def test_noise_is_how_far_version_moved_between_repeats() -> None:
    quiet = {(APP, 10, VERSION): [wrk_result(3000), wrk_result(3100), wrk_result(3060)],
             (APP, 1_000_000, VERSION): [wrk_result(3000), wrk_result(3090)]}
    assert noise(quiet, [10, 1_000_000]) == (
        "machine noise: /version's requests/s moved 3% at 10 rows, 3% at 1,000,000 rows "
        "between repeats (at most 10%: a quiet run)")
    busy = {**quiet, (APP, 1_000_000, VERSION): [wrk_result(3300), wrk_result(2450),
                                                 wrk_result(3100)]}
    assert noise(busy, [10, 1_000_000]).endswith(
        "27% at 1,000,000 rows between repeats: over 10%, other work on this machine moved the "
        "figures; run again when it is quieter")


def test_noise_needs_two_repeats() -> None:
    once = {(APP, 10, VERSION): [wrk_result(3000)]}
    assert noise(once, [10]) == "machine noise: not measured (a scenario needs 2 repeats or more)"


def test_cpu_and_switches_are_summed_over_a_process_its_children_and_their_threads(
        tmp_path: Path) -> None:
    ticks = os.sysconf("SC_CLK_TCK")
    # pid, parent, user and system ticks, and those of its ended children (10's count: it is a
    # parent asked about; 11's do not: they are its own children's, not asked about)
    for pid, parent, user, system, reaped in [(10, 1, 5, 5, ticks), (11, 10, ticks, ticks, ticks),
                                              (12, 10, ticks, 0, 0), (13, 2, 50 * ticks, 0, 0)]:
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(
            f"{pid} (a (b) c) S {parent} 0 0 0 0 0 0 0 0 0 {user} {system} {reaped} 0\n")
        for thread in (pid, pid + 100):
            (tmp_path / str(pid) / "task" / str(thread)).mkdir(parents=True)
            (tmp_path / str(pid) / "task" / str(thread) / "status").write_text(
                f"Name:\tpython\nvoluntary_ctxt_switches:\t{pid}\n"
                "nonvoluntary_ctxt_switches:\t1\n")
    usage = children_usage({10}, tmp_path)
    assert usage.cpu == pytest.approx(4 + 10 / ticks)
    # Processes 10, 11 and 12, two threads each: each thread's voluntary count is its pid, + 1.
    assert usage.switches == 2 * (10 + 11 + 12) + 6


def test_usage_subtracts_to_what_was_spent_between_two_readings() -> None:
    assert Usage(cpu=2.5, switches=40) - Usage(cpu=1.0, switches=15) == Usage(1.5, 25)


def test_with_the_database_apart_only_the_apps_cpu_makes_the_cpu_ratio() -> None:
    def run(cpu_us: float, database_us: float) -> Run:
        return Run(WrkResult(requests=100, requests_per_second=100, p99_ms=1, errors=0), cpu_us,
                   database_us)

    results = {(APP, 10, VERSION): [run(400, 0)], (APP, 10, PAGE): [run(1000, 300)]}
    shared = {target.name: target.measured for target in evaluate(results, [10], 0, 0)}
    apart = {target.name: target.measured
             for target in evaluate(results, [10], 0, 0, database_apart=True)}
    assert shared["  same, by CPU per request, 10 rows"] == pytest.approx(0.4)
    assert apart["  same, app CPU per request, 10 rows"] == pytest.approx(400 / 700)
