"""Benchmark: requests/s and p99 of ``/`` and ``/version`` at 10 and 1,000,000 visitors.

gunicorn (app/gunicorn.conf.py, as deployed) serves the app on 127.0.0.1 against a throwaway
PostgreSQL cluster with its default, durable settings (or BENCH_DATABASE_URL's server); wrk
loads it for a bounded time per scenario, after an uncounted second of each. Then a fixed
number of concurrent requests counts lost updates (must be 0) and the counter row is checked
against ``count(*)`` (drift, must be 0). Between the app's runs, pgbench runs the page's own
statement against the same database (bench/app_throughput/pgbench.py): the database alone, so
the run says whether the page waits on the database or on the Python path in front of it.
Everything runs on this machine: load, server and database share its cores, unless
``--database-cpus`` gives the database some of them (bench/app_throughput/placement.py).

With ``--legacy DIR`` (or BENCH_LEGACY_APP), a checkout of the legacy app is served the same
way (gunicorn, same workers, its own database at the legacy schema e75588bf2531 with the same
rows; DATABASE_URL and SQLALCHEMY_DATABASE_URI point at it) and loaded with the same scenarios,
so the ratios against it are measured, not remembered. With ``--baseline DIR`` (or
BENCH_BASELINE_APP), an earlier checkout of this app runs ``/version`` and the page beside it,
to judge a change side by side (bench/app_throughput/baseline.py). The run ends with the
targets table (bench/app_throughput/targets.py) and how far the machine's other work moved the
figures.
"""
import argparse
import contextlib
import os
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Iterator, Sequence

import flask_migrate
import psycopg

from app import create_app
from bench import cli
from bench.app_throughput.baseline import baseline_database, checkout_problem
from bench.app_throughput.batches import read_batches
from bench.app_throughput.cpu import children_usage, postmaster_pid
from bench.app_throughput.gunicorn_server import GunicornServer, default_threads
from bench.app_throughput.load import send_requests
from bench.app_throughput.pg_cluster import (DatabaseServer, ThrowawayCluster, database_server,
                                             libpq_url)
from bench.app_throughput.pgbench import PgbenchResult, pgbench_path, run_pgbench
from bench.app_throughput.placement import Placement, parse_cpu_list
from bench.app_throughput.targets import (APP, BASELINE, LEGACY, PAGE, VERSION, Alone, Results,
                                          Run, alone_lines, baseline_lines, evaluate, noise,
                                          table)
from bench.app_throughput.wrk import (NEW_VISITORS_SCRIPT, returning_visitors_script, run_wrk,
                                      wrk_path)

BUILD_ENV = {"APP_VERSION": "0.0.0+build.0", "APP_COMMIT": "bench"}
HAMMERED_CLIENT = "192.0.2.77"
LEGACY_REVISION = "e75588bf2531"
# The scenarios each side other than the app runs: the ones its ratios need.
SIDE_SCENARIOS = {LEGACY: (PAGE,), BASELINE: (VERSION, PAGE)}
WARMUP_SECONDS = 1


def scenarios(rows: int) -> list[tuple[str, str, str | None]]:
    """(name, path, wrk script) of each run at a table of ``rows`` visitors."""
    return [("/version", "/version", None),
            ("/ returning", "/", returning_visitors_script(rows)),
            ("/ one client", "/", None),
            ("/ new visitors", "/", NEW_VISITORS_SCRIPT)]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = cli.parser("bench.app_throughput", __doc__)
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per run")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of each scenario, interleaved; figures are medians")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=default_threads(),
                        help="threads per gunicorn worker (default: %(default)s, as "
                             "app/gunicorn.conf.py deploys it)")
    parser.add_argument("--rows", type=int, nargs="+", default=[10, 1_000_000],
                        help="visitor rows to bulk-load before each round")
    parser.add_argument("--lost-update-requests", type=int, default=10_000,
                        help="requests of the lost-update check (from 50 threads)")
    parser.add_argument("--visit-synchronous-commit", choices=("on", "off"),
                        default=os.environ.get("VISIT_SYNCHRONOUS_COMMIT", "on"),
                        help="the app's VISIT_SYNCHRONOUS_COMMIT (default: on, as deployed)")
    parser.add_argument("--legacy", type=Path, default=os.environ.get("BENCH_LEGACY_APP") or None,
                        help="a checkout of the legacy app to measure beside this one "
                             "(default: $BENCH_LEGACY_APP)")
    parser.add_argument("--legacy-wsgi", default=os.environ.get("BENCH_LEGACY_WSGI", "app:app"),
                        help="the legacy app's WSGI object for gunicorn (default: "
                             "$BENCH_LEGACY_WSGI or app:app)")
    parser.add_argument("--baseline", type=Path,
                        default=os.environ.get("BENCH_BASELINE_APP") or None,
                        help="an earlier checkout of this app (git worktree add DIR REV) to "
                             "measure beside this one: /version and the page, interleaved "
                             "(default: $BENCH_BASELINE_APP)")
    parser.add_argument("--database-cpus", metavar="LIST",
                        help="run the throwaway database on these CPUs (taskset's syntax: 1, "
                             "0,2, 2-3) and load and app on the others, as if the database "
                             "had a host of its own (default: everything shares every CPU)")
    args = parser.parse_args(argv)
    if args.legacy is not None and not args.legacy.is_dir():
        parser.error(f"--legacy {args.legacy} is not a directory")
    if args.baseline is not None:
        problem = checkout_problem(args.baseline)
        if problem:
            parser.error(f"--baseline {problem}")
        args.baseline = args.baseline.resolve()
    available = frozenset(os.sched_getaffinity(0))
    args.placement = Placement(available)
    if args.database_cpus is not None:
        if os.environ.get("BENCH_DATABASE_URL"):
            parser.error("--database-cpus places the throwaway database: BENCH_DATABASE_URL's "
                         "server runs where it runs")
        try:
            args.placement = Placement.split(available, parse_cpu_list(args.database_cpus))
        except ValueError as error:
            parser.error(f"--database-cpus {args.database_cpus}: {error}")
    return args


def sql(url: str, statement: str) -> list[tuple[object, ...]]:
    """Run one statement in autocommit mode (VACUUM needs it) and return its rows."""
    with psycopg.connect(libpq_url(url), autocommit=True) as connection:
        cursor = connection.execute(statement.encode())
        return list(cursor.fetchall()) if cursor.description else []


def load_rows(url: str, rows: int) -> None:
    """Replace the visitors by ``rows`` generated ones in 10.0.0.0/8, one statement."""
    sql(url, "TRUNCATE visitor")
    sql(url, "INSERT INTO visitor (ip, visits) SELECT host(inet '10.0.0.0' + n), 1 "
             f"FROM generate_series(1, {int(rows)}) AS n")
    sql(url, "VACUUM ANALYZE visitor")


def median_ms(url: str, statement: str, repeats: int = 7) -> float:
    """Median wall time of ``statement`` over one connection, in milliseconds."""
    timings = []
    with psycopg.connect(libpq_url(url)) as connection:
        for _ in range(repeats):
            started = time.perf_counter()
            connection.execute(statement.encode()).fetchall()
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def counter_drift(url: str) -> int:
    """visitor_total's count minus the real number of rows: must be 0."""
    rows = sql(url, "SELECT (SELECT sum(unique_visitors) FROM visitor_total) - count(*) "
                    "FROM visitor")
    return int(str(rows[0][0]))


def print_run(side: str, rows: int, name: str, run: Run) -> None:
    result = run.wrk
    cpu = "-" if run.cpu_us is None else f"{run.cpu_us:.0f}"
    database = "-" if run.database_us is None else f"{run.database_us:.0f}"
    switches = "-" if run.switches is None else f"{run.switches:.1f}"
    batched = "-" if run.visits_per_statement is None else f"{run.visits_per_statement:.2f}"
    print(f"{side:<8} {rows:>9} {name:<16} {result.requests_per_second:>9.1f} "
          f"{result.p99_ms:>9.1f} {result.requests:>9} {result.errors:>7} {cpu:>8} "
          f"{database:>7} {switches:>8} {batched:>9}", flush=True)


def print_alone(rows: int, alone: PgbenchResult) -> None:
    print(f"{'db':<8} {rows:>9} {'page statement':<16} {alone.transactions_per_second:>9.1f} "
          f"{'-':>9} {alone.transactions:>9} {alone.failed:>7}", flush=True)


def print_total_cost(url: str, rows: int) -> None:
    """What the page's total costs, against what ``count(*)`` would cost at this size."""
    counter = median_ms(url, "SELECT sum(unique_visitors) FROM visitor_total")
    count = median_ms(url, "SELECT count(*) FROM visitor")
    print(f"{rows:>9} total read: counter rows {counter:.3f} ms, count(*) {count:.3f} ms; "
          f"counter drift {counter_drift(url)}", flush=True)


def lost_updates(base_url: str, url: str, total: int) -> tuple[int, Counter[int]]:
    """Send ``total`` page views from one client over 50 threads; answered minus counted."""
    statuses = send_requests(base_url, "/", total, 50,
                             lambda index: {"X-Forwarded-For": HAMMERED_CLIENT})
    counted = sql(url, f"SELECT visits FROM visitor WHERE ip = '{HAMMERED_CLIENT}'")
    return statuses[200] - int(str(counted[0][0])), statuses


def database_pids(server: DatabaseServer) -> set[int]:
    """The throwaway cluster's server process, whose children are the database's work."""
    pid = postmaster_pid(server.data_dir) if isinstance(server, ThrowawayCluster) else None
    return set() if pid is None else {pid}


@contextlib.contextmanager
def migrated_database(server: DatabaseServer, prefix: str, revision: str) -> Iterator[str]:
    """A new database migrated to ``revision`` by this app's migrations, dropped after the
    block, also when the migration or the block fails."""
    url = server.create_database(prefix)
    try:
        with create_app({"DATABASE_URL": url, **BUILD_ENV}).app_context():
            flask_migrate.upgrade(revision=revision)
        yield url
    finally:
        server.drop_database(url)


def startup_error(log: str) -> str:
    """The line of a gunicorn log that says why the app did not start (its exception's)."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    reasons = [line for line in lines if re.match(r"[\w.]+(Error|Exception): ", line)]
    return (reasons or lines or ["gunicorn printed nothing"])[0]


@contextlib.contextmanager
def serving(server: GunicornServer, what: str) -> Iterator[GunicornServer]:
    """``server`` started for the block; if it does not start, one line saying why."""
    try:
        server.start()
    except RuntimeError:
        raise SystemExit(f"app_throughput: {what} did not start: "
                         f"{startup_error(server.log())}") from None
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def legacy_server(args: argparse.Namespace, url: str) -> Iterator[GunicornServer]:
    """The legacy checkout under gunicorn on its own database."""
    driver_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    env = {"DATABASE_URL": driver_url, "SQLALCHEMY_DATABASE_URI": driver_url,
           "LOG_LEVEL": "WARNING"}
    server = GunicornServer(env, workers=args.workers, threads=args.threads,
                            app=args.legacy_wsgi, checkout=args.legacy.resolve())
    with serving(server, f"the legacy app ({args.legacy_wsgi} in {args.legacy})") as started:
        yield started


def measured_run(args: argparse.Namespace, server: GunicornServer, path: str,
                 script: str | None, database: set[int]) -> Run:
    """One wrk run, with the CPU spent and the context switches made per request by the app's
    and the ``database``'s process trees, and the CPU of the database's alone."""
    app = {server.process.pid} if server.process else set()
    # Only the page visits: around another run the histogram moves by the last run's tail alone.
    visits = path == "/"
    batches_before = read_batches(server.url) if visits else None
    app_before, database_before = children_usage(app), children_usage(database)
    result = run_wrk(server.url + path, args.seconds, args.connections,
                     min(2, args.connections), script)
    app_spent = children_usage(app) - app_before
    database_spent = children_usage(database) - database_before
    batches_after = read_batches(server.url) if visits else None
    if not result.requests:
        return Run(result)
    batched = (batches_after - batches_before).visits_per_statement() \
        if batches_before and batches_after else None
    return Run(result, 1e6 * (app_spent.cpu + database_spent.cpu) / result.requests,
               1e6 * database_spent.cpu / result.requests if database else None,
               (app_spent.switches + database_spent.switches) / result.requests, batched)


def database_alone(args: argparse.Namespace, url: str, rows: int, alone: Alone) -> None:
    """One pgbench run of the page's statement, one client per thread of the app, into
    ``alone`` (nothing when pgbench is not installed)."""
    pgbench = pgbench_path()
    if pgbench is None:
        return
    try:
        result = run_pgbench(pgbench, libpq_url(url), rows, args.workers * args.threads,
                             args.seconds)
    except RuntimeError as error:
        raise SystemExit(f"app_throughput: {error}") from None
    alone.setdefault(rows, []).append(result.transactions_per_second)
    print_alone(rows, result)


def run_round(args: argparse.Namespace, rows: int, servers: dict[str, GunicornServer],
              results: Results, database: set[int], url: str, alone: Alone) -> None:
    """Every scenario on the app, some on the other sides (``SIDE_SCENARIOS``) and the page's
    statement on the database alone, at ``rows`` visitors, ``--repeats`` times in turn."""
    sides = [(side, server, [run for run in scenarios(rows)
                             if side == APP or run[0] in SIDE_SCENARIOS[side]])
             for side, server in servers.items()]
    # Not counted: a fresh server's first runs (cold caches and connection pools) measured
    # half the rate of the next ones, which skewed the first pair of every ratio.
    for _, server, runs in sides:
        for _, path, script in runs:
            run_wrk(server.url + path, WARMUP_SECONDS, args.connections,
                    min(2, args.connections), script)
    for _ in range(args.repeats):
        for side, server, runs in sides:
            for name, path, script in runs:
                run = measured_run(args, server, path, script, database)
                results.setdefault((side, rows, name), []).append(run)
                print_run(side, rows, name, run)
        database_alone(args, url, rows, alone)


def start_servers(args: argparse.Namespace, urls: dict[str, str],
                  stack: contextlib.ExitStack) -> dict[str, GunicornServer]:
    """The app, and each other side that has a database in ``urls``, serving until ``stack``
    closes."""
    env = {"DATABASE_URL": urls[APP], "TRUSTED_PROXY_HOPS": "1", "LOG_LEVEL": "WARNING",
           "VISIT_SYNCHRONOUS_COMMIT": args.visit_synchronous_commit, **BUILD_ENV}
    app = GunicornServer(env, workers=args.workers, threads=args.threads)
    servers = {APP: stack.enter_context(serving(app, "the app"))}
    if LEGACY in urls:
        servers[LEGACY] = stack.enter_context(legacy_server(args, urls[LEGACY]))
    if BASELINE in urls:
        baseline = GunicornServer({**env, "DATABASE_URL": urls[BASELINE]}, workers=args.workers,
                                  threads=args.threads, root=args.baseline)
        servers[BASELINE] = stack.enter_context(
            serving(baseline, f"the baseline ({args.baseline})"))
    return servers


def measure(args: argparse.Namespace, server: DatabaseServer, urls: dict[str, str],
            results: Results, alone: Alone) -> tuple[int, Counter[int], int]:
    """Every round into ``results``, then the lost-update check: (lost, responses, drift)."""
    with contextlib.ExitStack() as stack:
        servers = start_servers(args, urls, stack)
        print(f"gunicorn {args.workers} workers x {args.threads} threads, wrk "
              f"{args.connections} connections, {args.repeats} x {args.seconds} s per scenario, "
              f"{args.placement.describe()}, "
              f"VISIT_SYNCHRONOUS_COMMIT={args.visit_synchronous_commit}"
              + (f"; legacy app: {args.legacy}" if args.legacy else "; no legacy app (--legacy)")
              + (f"; baseline: {args.baseline}" if args.baseline else ""))
        print(f"{'side':<8} {'rows':>9} {'scenario':<16} {'req/s':>9} {'p99 ms':>9} "
              f"{'requests':>9} {'errors':>7} {'cpu us':>8} {'db us':>7} {'switches':>8} "
              f"{'visits/st':>9}  "
              "(per request: CPU of the app workers + database, db: the database's part; "
              "their context switches; visits per statement the app sent; "
              "side db: the page's statement from pgbench, one visit each, "
              f"{args.workers * args.threads} clients, transactions/s)")
        for rows in args.rows:
            for database_url in urls.values():
                load_rows(database_url, rows)
            run_round(args, rows, servers, results, database_pids(server), urls[APP], alone)
            print_total_cost(urls[APP], rows)
        lost, statuses = lost_updates(servers[APP].url, urls[APP], args.lost_update_requests)
    drift = counter_drift(urls[APP])
    print(f"lost updates: {lost} of {statuses[200]} answered page views from one client "
          f"(responses: {dict(statuses)}); counter drift {drift}")
    return lost, statuses, drift


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    wrk_path()
    # The benchmark's children (gunicorn, wrk, pgbench) inherit this; the database does not.
    os.sched_setaffinity(0, args.placement.app)
    results: Results = {}
    alone: Alone = {}
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(database_server(
            os.environ.get("BENCH_DATABASE_URL"), settings=(), cpus=args.placement.database))
        urls = {APP: stack.enter_context(migrated_database(server, "bench", "head"))}
        if args.legacy:
            urls[LEGACY] = stack.enter_context(
                migrated_database(server, "legacy", LEGACY_REVISION))
        if args.baseline:
            urls[BASELINE] = stack.enter_context(
                baseline_database(server, args.baseline, BUILD_ENV))
        lost, statuses, drift = measure(args, server, urls, results, alone)
    print(table(evaluate(results, args.rows, lost, drift,
                         database_apart=bool(args.placement.database))))
    for line in alone_lines(results, alone, args.workers * args.threads):
        print(line)
    if args.baseline:
        for line in baseline_lines(results, args.rows):
            print(line)
    print(noise(results, args.rows))
    exact = lost == 0 and drift == 0 and statuses[200] == args.lost_update_requests
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
