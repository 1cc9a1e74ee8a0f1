"""``make bench-app`` end to end: real gunicorn, PostgreSQL and wrk, run briefly.

The legacy side is measured only when a checkout of the legacy app is given, which this
repository does not have. So the run here serves a **stand-in** written by the test: a small
Flask app in the legacy app's shape (it reads the visitor's row, adds one in Python, writes it
back and counts every row), on a database at the legacy schema. It checks the harness, not the
legacy app's figures.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.app_throughput.__main__ import main, startup_error

ROOT = Path(__file__).resolve().parents[2]
STAND_IN_LEGACY_APP = '''
import os

import psycopg
from flask import Flask, request

app = Flask(__name__)
URL = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://", 1)


@app.get("/")
def index():
    ip = request.headers.get("X-Forwarded-For", request.remote_addr)
    with psycopg.connect(URL) as connection:
        row = connection.execute("SELECT visits FROM visitor WHERE ip = %s", (ip,)).fetchone()
        if row is None:
            connection.execute("INSERT INTO visitor (ip, visits) VALUES (%s, 1)", (ip,))
        else:
            connection.execute("UPDATE visitor SET visits = %s WHERE ip = %s", (row[0] + 1, ip))
        (total,) = connection.execute("SELECT count(*) FROM visitor").fetchone()
    return f"<p>{total} visitors</p>"
'''
BRIEF = ["--seconds", "1", "--repeats", "1", "--rows", "10", "--lost-update-requests", "100"]


def bench(*args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The benchmark, briefly; with ``home`` as its HOME (and no XDG_RUNTIME_DIR)."""
    env = dict(os.environ)
    if home is not None:
        env.pop("XDG_RUNTIME_DIR", None)
        env["HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "bench.app_throughput", *BRIEF, *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
                          check=False)


def legacy_checkout(tmp_path: Path) -> Path:
    checkout = tmp_path / "legacy"
    checkout.mkdir()
    (checkout / "app.py").write_text(STAND_IN_LEGACY_APP)
    return checkout


def target_line(output: str, name: str) -> list[str]:
    """The words of the targets table's line for ``name``."""
    (line,) = [line for line in output.splitlines() if line.startswith(name)]
    return line[len(name):].split()


@pytest.mark.slow
@pytest.mark.tools("postgres", "pgbench", "wrk")
def test_a_run_with_a_legacy_checkout_measures_every_target(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()

    result = bench("--legacy", str(legacy_checkout(tmp_path)), home=home)

    assert result.returncode == 0, result.stdout + result.stderr
    legacy_runs = [line.split() for line in result.stdout.splitlines()
                   if line.startswith("legacy ")]
    assert [run[2:4] for run in legacy_runs] == [["/", "returning"]]
    assert float(legacy_runs[0][4]) > 0  # requests/s
    app_runs = [line.split() for line in result.stdout.splitlines() if line.startswith("app ")]
    # The last two columns: context switches per request (serving a request makes some), and
    # visits per statement sent to the database (the page's runs only; at least one each).
    assert app_runs and all(float(run[-2]) > 0 for run in app_runs)
    assert [run[-1] == "-" for run in app_runs] == [run[2] == "/version" for run in app_runs]
    assert all(float(run[-1]) >= 1 for run in app_runs if run[2] == "/")
    for name in ("/ vs /version, same server, 10 rows", "/ vs legacy /, 10 rows",
                 "p99 of / (worst scenario's median), ms"):
        measured, *_, verdict = target_line(result.stdout, name)
        assert float(measured) > 0 and verdict in ("met", "MISSED"), name
    assert target_line(result.stdout, "lost updates + counter drift") == ["0", "<=", "0", "met"]
    database_runs = [line.split() for line in result.stdout.splitlines()
                     if line.startswith("db ")]
    assert [run[2:4] for run in database_runs] == [["page", "statement"]]
    assert float(database_runs[0][4]) > 0 and database_runs[0][7] == "0"  # tps, failed
    # One pgbench client per thread of the app: the header says how many.
    header = re.search(r"^gunicorn (\d+) workers x (\d+) threads", result.stdout, re.MULTILINE)
    assert header is not None, result.stdout
    workers, threads = map(int, header.groups())
    alone = re.search(r"^/ vs the database alone, 10 rows: ([\d.]+) \(the page's statement "
                      rf"from pgbench, {workers * threads} clients: ([\d,]+) transactions/s\)$",
                      result.stdout, re.MULTILINE)
    assert alone is not None and float(alone.group(1)) > 0, result.stdout
    assert result.stdout.splitlines()[-1] == (
        "machine noise: not measured (a scenario needs 2 repeats or more)")
    assert "lost updates: 0 of 100 answered page views" in result.stdout
    assert list(home.iterdir()) == []  # no gunicorn control socket (~/.gunicorn)


@pytest.mark.slow
@pytest.mark.tools("postgres", "pgbench", "wrk")
def test_a_legacy_app_that_does_not_start_is_one_line_saying_why(tmp_path: Path) -> None:
    checkout = legacy_checkout(tmp_path)

    result = bench("--legacy", str(checkout), "--legacy-wsgi", "missing_module:app")

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"app_throughput: the legacy app (missing_module:app in {checkout}) did not start: "
        "ModuleNotFoundError: No module named 'missing_module'")
    assert "side " not in result.stdout  # no run was measured


def test_a_legacy_path_that_is_not_a_directory_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--legacy", str(tmp_path / "nowhere")])

    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(
        f"--legacy {tmp_path / 'nowhere'} is not a directory")


def test_the_reason_a_server_did_not_start_is_its_exception() -> None:
    log = ("[INFO] Booting worker with pid: 7\n[ERROR] Exception in worker process\n"
           "Traceback (most recent call last):\n  File \"x.py\", line 1\n"
           "ImportError: cannot import name 'app'\n[ERROR] Reason: Worker failed to boot.\n")

    assert startup_error(log) == "ImportError: cannot import name 'app'"
    assert startup_error("[ERROR] Reason: Worker failed to boot.\n") == (
        "[ERROR] Reason: Worker failed to boot.")
    assert startup_error("") == "gunicorn printed nothing"
