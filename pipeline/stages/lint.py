"""The lint stage: flake8 over the project, configured in setup.cfg's [flake8]."""
from pathlib import Path

from pipeline.core import proc
from pipeline.core.config import Config
from pipeline.core.errors import StageFailed
from pipeline.stages.registry import Stage, register

REPORT = "flake8.txt"


def lint(config: Config) -> None:
    """Run flake8; each problem is printed and kept in ``flake8.txt`` of ``reports_dir``."""
    report = config.reports_dir / REPORT
    report.parent.mkdir(parents=True, exist_ok=True)
    report.unlink(missing_ok=True)  # flake8 appends to its --output-file
    paths = config.existing_paths("lint_paths")
    command = proc.python_tool("flake8", "--tee", f"--output-file={report}", *paths)
    code = proc.run(command, cwd=config.root)
    if code != 0:
        problems = _count_lines(report)
        raise StageFailed(
            f"flake8 found {problems} problem(s), listed in {config.display(report)}"
            if problems else f"flake8 failed with exit code {code}")
    print(f"flake8: no problems in {' '.join(paths)}")


def _count_lines(path: Path) -> int:
    try:
        return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    except OSError:
        return 0


register(Stage(name="lint", summary="flake8 over the project", run=lint,
               artifacts=lambda config: (config.reports_dir / REPORT,),
               description=f"Run flake8 over the configuration's lint_paths; the report goes "
                           f"to {REPORT} in reports_dir (default reports/)."))
