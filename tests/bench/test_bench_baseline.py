"""``--baseline DIR``: an earlier checkout of this app measured beside this one."""
import re
import shutil
from pathlib import Path

import pytest

from bench.app_throughput.__main__ import parse_args
from bench.app_throughput.baseline import checkout_problem
from bench.app_throughput.targets import APP, BASELINE, PAGE, VERSION, Results, Run, \
    baseline_lines
from bench.app_throughput.wrk import WrkResult
from tests.bench.test_bench_app_throughput import ROOT, bench


def copy_of_this_app(tmp_path: Path) -> Path:
    """A checkout of this app as a baseline: its app/ package is all gunicorn serves."""
    checkout = tmp_path / "baseline"
    shutil.copytree(ROOT / "app", checkout / "app", ignore=shutil.ignore_patterns("__pycache__"))
    return checkout


def run(rate: float) -> Run:
    return Run(WrkResult(requests=int(rate), requests_per_second=rate, p99_ms=10, errors=0))


def test_a_baseline_must_be_a_checkout_of_this_app(tmp_path: Path) -> None:
    assert checkout_problem(tmp_path / "nowhere") == f"{tmp_path / 'nowhere'} is not a directory"
    assert checkout_problem(tmp_path) == (
        f"{tmp_path} is not a checkout of this app (no app/gunicorn.conf.py)")
    assert checkout_problem(ROOT) is None


def test_the_bench_refuses_a_bad_baseline_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_args(["--baseline", str(tmp_path)])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(
        f"--baseline {tmp_path} is not a checkout of this app (no app/gunicorn.conf.py)")


def test_the_page_is_compared_with_the_baselines_repeat_by_repeat() -> None:
    results: Results = {(APP, 10, PAGE): [run(1800), run(1600)],
                        (APP, 10, VERSION): [run(4000), run(4000)],
                        (BASELINE, 10, PAGE): [run(1500), run(1500)],
                        (BASELINE, 10, VERSION): [run(4000), run(3000)]}
    assert baseline_lines(results, [10, 1000]) == [
        "/ vs baseline /, 10 rows: 1.133 (/ vs /version: 0.425 here, 0.438 in the baseline)",
        "/ vs baseline /, 1,000 rows: - (/ vs /version: - here, - in the baseline)"]


@pytest.mark.slow
@pytest.mark.tools("postgres", "pgbench", "wrk")
def test_a_baseline_checkout_runs_version_and_the_page_beside_the_app(tmp_path: Path) -> None:
    result = bench("--baseline", str(copy_of_this_app(tmp_path)))

    assert result.returncode == 0, result.stdout + result.stderr
    assert re.findall(r"^baseline\s+10 (\S+(?: returning)?)\s", result.stdout, re.MULTILINE) == [
        "/version", "/ returning"]
    line = re.search(r"^/ vs baseline /, 10 rows: ([\d.]+) \(/ vs /version: ([\d.]+) here, "
                     r"([\d.]+) in the baseline\)$", result.stdout, re.MULTILINE)
    assert line is not None, result.stdout
    assert all(float(ratio) > 0 for ratio in line.groups())


@pytest.mark.slow
@pytest.mark.tools("postgres", "pgbench", "wrk")
def test_a_baseline_whose_migrations_fail_stops_the_run_in_one_line(tmp_path: Path) -> None:
    checkout = copy_of_this_app(tmp_path)
    (checkout / "app" / "migrations" / "env.py").write_text(
        "raise RuntimeError('this baseline cannot migrate')\n")

    result = bench("--baseline", str(checkout))

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"app_throughput: the baseline's migrations failed in {checkout}: "
        "Error: this baseline cannot migrate")
    assert "baseline " not in result.stdout
