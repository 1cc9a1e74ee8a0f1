"""``make bench-app``'s database side: the page's statement under pgbench, and the database on
CPUs of its own (``--database-cpus``)."""
import os

import psycopg
import pytest

from app.visits import POSTGRESQL_VISITS
from bench.app_throughput.__main__ import parse_args
from bench.app_throughput.pg_cluster import ThrowawayCluster, libpq_url
from bench.app_throughput.pgbench import (page_statement_script, parse, pgbench_path,
                                          run_pgbench, service_file)
from bench.app_throughput.placement import Placement, parse_cpu_list
from bench.app_throughput.targets import APP, PAGE, Run, alone_lines
from bench.app_throughput.wrk import WrkResult
from bench.ports import free_port

PGBENCH_OUTPUT = """pgbench (17.6 (Debian 17.6-0+deb13u1))
transaction type: /tmp/tmpabc/page.sql
scaling factor: 1
query mode: prepared
number of clients: 16
number of threads: 2
maximum number of tries: 1
duration: 5 s
number of transactions actually processed: 37600
number of failed transactions: 3 (0.008%)
latency average = 2.128 ms
initial connection time = 9.870 ms
tps = 7520.114204 (without initial connection time)
"""


def test_the_script_runs_the_pages_own_statement_for_wrks_returning_visitors() -> None:
    set_line, statement, end = page_statement_script(1000).split("\n")
    assert set_line == "\\set n random(1, 1000)"
    assert statement == " ".join(POSTGRESQL_VISITS.decode().split()).replace(
        "$1", "ARRAY[host(inet '10.0.0.0' + :n)]").replace("$2", "'{1}'") + ";"
    assert end == ""


def test_pgbench_figures_are_read() -> None:
    result = parse(PGBENCH_OUTPUT)
    assert (result.transactions, result.transactions_per_second, result.failed) == (
        37600, 7520.114204, 3)


def test_unexpected_pgbench_output_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="unexpected pgbench output"):
        parse("pgbench: error: no such file")


def test_the_url_goes_into_a_service_file_with_its_password() -> None:
    assert service_file("postgresql://app:s%20cret@db.internal:5433/visitors?sslmode=require") \
        == ("[bench]\nuser=app\npassword=s cret\ndbname=visitors\nhost=db.internal\nport=5433\n"
            "sslmode=require\n")


@pytest.mark.tools("pgbench")
def test_a_pgbench_that_cannot_connect_fails_with_its_first_error_line() -> None:
    pgbench = pgbench_path()
    assert pgbench is not None, "pgbench is missing: apt-get install -y postgresql"
    port = free_port()

    with pytest.raises(RuntimeError) as raised:
        run_pgbench(pgbench, f"postgresql://postgres:hunter2@127.0.0.1:{port}/x", 10, 2, 1)

    assert str(raised.value).startswith(
        f'pgbench failed (1): pgbench: error: connection to server at "127.0.0.1", port {port} '
        "failed: Connection refused")
    assert "hunter2" not in str(raised.value)


def page_run(rate: float) -> Run:
    return Run(WrkResult(requests=int(rate), requests_per_second=rate, p99_ms=10, errors=0))


def test_the_page_is_compared_with_the_database_alone_run_by_run() -> None:
    results = {(APP, 10, PAGE): [page_run(1000), page_run(1500), page_run(1800)]}
    alone = {10: [5000.0, 5000.0, 6000.0]}
    assert alone_lines(results, alone, 16) == [
        "/ vs the database alone, 10 rows: 0.300 (the page's statement from pgbench, "
        "16 clients: 5,000 transactions/s)"]


def test_without_pgbench_the_comparison_says_how_to_get_it() -> None:
    assert alone_lines({}, {}, 16) == [
        "/ vs the database alone: not measured (no pgbench: apt-get install -y postgresql)"]


@pytest.mark.parametrize("text, cpus", [("1", {1}), ("0,2", {0, 2}), ("2-4", {2, 3, 4}),
                                        ("0, 3-4", {0, 3, 4})])
def test_cpu_lists_use_tasksets_syntax(text: str, cpus: set[int]) -> None:
    assert parse_cpu_list(text) == cpus


@pytest.mark.parametrize("text, message", [
    ("one", "expected CPU numbers such as 1, 0,2 or 2-3, got 'one'"),
    ("1,", "expected CPU numbers such as 1, 0,2 or 2-3, got '1,'"),
    ("-1", "expected CPU numbers such as 1, 0,2 or 2-3, got '-1'"),
    ("3-1", "the range 3-1 is backwards")])
def test_a_bad_cpu_list_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_cpu_list(text)
    assert str(raised.value) == message


def test_the_database_gets_its_cpus_and_the_rest_the_others() -> None:
    placement = Placement.split(frozenset({0, 1, 2, 3}), frozenset({2, 3}))
    assert (placement.app, placement.database) == ({0, 1}, {2, 3})
    assert placement.describe() == "the database on CPU 2,3, load and app on CPU 0,1"
    assert Placement(frozenset({0, 1})).describe() == "2 CPUs shared by load, app and database"


@pytest.mark.parametrize("database, message", [
    ({1, 5}, "CPU 5 is not available to this process (available: 0,1)"),
    ({0, 1}, "it leaves no CPU for the app and the load: give the database some of 0,1, "
             "not all")])
def test_a_database_placement_that_cannot_be_is_refused(database: set[int],
                                                        message: str) -> None:
    with pytest.raises(ValueError) as raised:
        Placement.split(frozenset({0, 1}), frozenset(database))
    assert str(raised.value) == message


@pytest.mark.parametrize("value, message", [
    ("x", "--database-cpus x: expected CPU numbers such as 1, 0,2 or 2-3, got 'x'"),
    ("4096", "--database-cpus 4096: CPU 4096 is not available to this process")])
def test_the_bench_refuses_a_bad_database_placement_in_one_line(
        value: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_args(["--database-cpus", value])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err.splitlines()[-1]


def test_the_bench_refuses_to_place_a_server_it_did_not_start(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/postgres")
    with pytest.raises(SystemExit):
        parse_args(["--database-cpus", "0"])
    assert capsys.readouterr().err.splitlines()[-1].endswith(
        "--database-cpus places the throwaway database: BENCH_DATABASE_URL's server runs "
        "where it runs")


@pytest.mark.slow
@pytest.mark.tools("postgres")
def test_a_pinned_cluster_and_every_backend_it_forks_run_on_its_cpus() -> None:
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        pytest.skip("one CPU: nothing to place the database apart on")
    cpus = frozenset(available[-1:])
    cluster = ThrowawayCluster(cpus=cpus).start()
    try:
        with psycopg.connect(libpq_url(cluster.admin_url)) as connection:
            row = connection.execute("SELECT pg_backend_pid()").fetchone()
            assert row is not None
            assert os.sched_getaffinity(row[0]) == cpus
        postmaster = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])
        assert os.sched_getaffinity(postmaster) == cpus
        assert os.sched_getaffinity(0) == set(available)  # the caller is left alone
    finally:
        cluster.stop()
