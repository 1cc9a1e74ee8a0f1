"""Every benchmark answers ``--help`` with what it measures, and runs nothing."""
import importlib

import pytest

from bench.deploy.__main__ import main as bench_deploy


@pytest.mark.parametrize("module", ["bench.app_throughput", "bench.deploy", "bench.fleet",
                                    "bench.pipeline"])
def test_help_describes_the_benchmark_and_runs_nothing(
        module: str, capsys: pytest.CaptureFixture[str]) -> None:
    benchmark = importlib.import_module(f"{module}.__main__")

    with pytest.raises(SystemExit) as exit_info:
        benchmark.main(["--help"])

    assert exit_info.value.code == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"usage: python -m {module} ")
    assert benchmark.__doc__ and benchmark.__doc__.splitlines()[0] in printed


def test_a_negative_number_of_backup_rows_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        bench_deploy(["--backup-rows", "-1"])

    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "python -m bench.deploy: error: --backup-rows must be 0 or more, got -1")
