"""The lint stage: flake8 (configured in setup.cfg's [flake8]) or ruff (the service's own
[tool.ruff] or ruff.toml), as the configuration's ``lint_tool`` says."""
import importlib.util
from pathlib import Path

from pipeline.core import proc, toolenv
from pipeline.core.config import Config, read_setup_cfg, split_list
from pipeline.core.errors import InputError, StageFailed
from pipeline.stages.registry import Stage, register

REPORT = "flake8.txt"
RUFF_REPORT = "ruff.txt"
# ruff writes one format per run: this one is for Jenkins' junit step.
RUFF_JUNIT = "ruff-junit.xml"
# Where flake8 reads its settings: the first of these with a [flake8] section.
FLAKE8_FILES = ("setup.cfg", "tox.ini", ".flake8")


def lint(config: Config) -> None:
    """Run the lint tool; each problem is printed and kept in its report in ``reports_dir``."""
    tool = toolenv.lint_tool(config)
    python = toolenv.python(config)
    if tool == "ruff" and python is None and importlib.util.find_spec("ruff") is None:
        raise InputError(f"{config.where('lint_tool')}: ruff is not installed beside pipeline: "
                         "pip install ruff, or set test_requirements, whose environment "
                         "brings it")
    paths = config.existing_paths("lint_paths")
    config.reports_dir.mkdir(parents=True, exist_ok=True)
    report = config.reports_dir / (RUFF_REPORT if tool == "ruff" else REPORT)
    if tool == "ruff":
        code = proc.run(proc.python_tool("ruff", "check", "--quiet", "--output-format=concise",
                                         *paths, python=python),
                        cwd=config.root, log_file=report)
        proc.run(proc.python_tool("ruff", "check", "--quiet", "--output-format=junit",
                                  f"--output-file={config.reports_dir / RUFF_JUNIT}", *paths,
                                  python=python), cwd=config.root)
    else:
        report.unlink(missing_ok=True)  # flake8 appends to its --output-file
        code = proc.run(proc.python_tool("flake8", "--tee", f"--output-file={report}",
                                         *_flake8_excluding(config, python), *paths,
                                         python=python), cwd=config.root)
    if code != 0:
        # ruff's exit code 2 is its own error (a bad setting), not a list of problems.
        problems = _count_lines(report) if tool == "flake8" or code == 1 else 0
        raise StageFailed(
            f"{tool} found {problems} problem(s), listed in {config.display(report)}"
            if problems else f"{tool} failed with exit code {code}")
    print(f"{tool}: no problems in {' '.join(paths)}")


def artifacts(config: Config) -> tuple[Path, ...]:
    """The reports of the configured tool (an invalid one is refused when the stage runs)."""
    if config.text("lint_tool") == "ruff":
        return config.reports_dir / RUFF_REPORT, config.reports_dir / RUFF_JUNIT
    return (config.reports_dir / REPORT,)


def _flake8_excluding(config: Config, python: str | None) -> list[str]:
    """flake8, unlike ruff, mypy and pytest, walks into virtualenvs: the test environment, when
    inside the project, joins the service's own extend-exclude (which the option replaces)."""
    env = None if python is None else Path(python).parents[1]
    if env is None or not env.is_relative_to(config.root):
        return []
    own: tuple[str, ...] = ()
    for name in FLAKE8_FILES:
        parser = read_setup_cfg(config.root / name)
        if parser.has_section("flake8"):
            section = parser["flake8"]
            own = split_list(section.get("extend-exclude", section.get("extend_exclude", "")))
            break
    return [f"--extend-exclude={','.join((*own, str(env)))}"]


def _count_lines(path: Path) -> int:
    try:
        return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    except OSError:
        return 0


register(Stage(name="lint", summary="flake8 or ruff over the project", run=lint,
               artifacts=artifacts,
               description=f"Run the configuration's lint_tool (flake8 by default, or ruff) over "
                           f"its lint_paths; the report goes to {REPORT} (ruff: {RUFF_REPORT} "
                           f"and {RUFF_JUNIT}) in reports_dir (default reports/)."))
