"""Benchmark: requests/s and p99 of ``/`` and ``/version`` at 10 and 1,000,000 visitors.

gunicorn (app/gunicorn.conf.py, as deployed) serves the app on 127.0.0.1 against a throwaway
PostgreSQL cluster with its default, durable settings (or BENCH_DATABASE_URL's server); wrk
loads it for a bounded time per scenario. Then a fixed number of concurrent requests counts
lost updates (must be 0) and the counter row is checked against ``count(*)`` (drift, must be 0).
Everything runs on this machine: load, server and database share its cores.
"""
import argparse
import os
import statistics
import sys
import time
from collections import Counter
from typing import Sequence

import flask_migrate
import psycopg

from app import create_app
from bench.app_throughput.gunicorn_server import GunicornServer
from bench.app_throughput.load import send_requests
from bench.app_throughput.pg_cluster import database_server, libpq_url
from bench.app_throughput.wrk import (NEW_VISITORS_SCRIPT, WrkResult, returning_visitors_script,
                                      run_wrk, wrk_path)

BUILD_ENV = {"APP_VERSION": "0.0.0+build.0", "APP_COMMIT": "bench"}
HAMMERED_CLIENT = "192.0.2.77"


def scenarios(rows: int) -> list[tuple[str, str, str | None]]:
    """(name, path, wrk script) of each run at a table of ``rows`` visitors."""
    return [("/version", "/version", None),
            ("/ returning", "/", returning_visitors_script(rows)),
            ("/ one client", "/", None),
            ("/ new visitors", "/", NEW_VISITORS_SCRIPT)]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.app_throughput",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per scenario")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--rows", type=int, nargs="+", default=[10, 1_000_000],
                        help="visitor rows to bulk-load before each round")
    parser.add_argument("--lost-update-requests", type=int, default=10_000,
                        help="requests of the lost-update check (from 50 threads)")
    return parser.parse_args(argv)


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


def print_result(rows: int, name: str, result: WrkResult) -> None:
    print(f"{rows:>9} {name:<16} {result.requests_per_second:>9.1f} {result.p99_ms:>9.1f} "
          f"{result.requests:>9} {result.errors:>7}", flush=True)


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


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    wrk_path()
    with database_server(os.environ.get("BENCH_DATABASE_URL"), settings=()) as server:
        url = server.create_database("bench")
        env = {"DATABASE_URL": url, "TRUSTED_PROXY_HOPS": "1", "LOG_LEVEL": "WARNING",
               **BUILD_ENV}
        with create_app(env).app_context():
            flask_migrate.upgrade()
        with GunicornServer(env, workers=args.workers, threads=args.threads) as gunicorn:
            print(f"gunicorn {args.workers} workers x {args.threads} threads, wrk "
                  f"{args.connections} connections, {args.seconds} s per run, "
                  f"{os.cpu_count()} CPUs shared by load, app and database")
            print(f"{'rows':>9} {'scenario':<16} {'req/s':>9} {'p99 ms':>9} {'requests':>9} "
                  f"{'errors':>7}")
            for rows in args.rows:
                load_rows(url, rows)
                for name, path, script in scenarios(rows):
                    result = run_wrk(gunicorn.url + path, args.seconds, args.connections,
                                     min(2, args.connections), script)
                    print_result(rows, name, result)
                print_total_cost(url, rows)
            lost, statuses = lost_updates(gunicorn.url, url, args.lost_update_requests)
        drift = counter_drift(url)
        print(f"lost updates: {lost} of {statuses[200]} answered page views from one client "
              f"(responses: {dict(statuses)}); counter drift {drift}")
        server.drop_database(url)
    exact = lost == 0 and drift == 0 and statuses[200] == args.lost_update_requests
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
