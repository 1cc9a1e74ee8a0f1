"""The typecheck stage: mypy, configured in setup.cfg's [mypy] sections (or the service's own
mypy.ini, pyproject.toml [tool.mypy]), in the tools' environment (``pipeline.core.toolenv``)."""
from pipeline.core import proc, toolenv
from pipeline.core.config import Config
from pipeline.core.errors import StageFailed
from pipeline.stages.registry import Stage, register

REPORT = "mypy.txt"
JUNIT = "mypy-junit.xml"


def typecheck(config: Config) -> None:
    """Run mypy; its output is printed and kept, and a JUnit file lets Jenkins list the errors."""
    paths = config.existing_paths("typecheck_paths")
    junit = config.reports_dir / JUNIT
    command = proc.python_tool("mypy", f"--junit-xml={junit}", *paths,
                               python=toolenv.python(config))
    code = proc.run(command, cwd=config.root, log_file=config.reports_dir / REPORT)
    if code != 0:
        raise StageFailed(f"mypy found type errors (exit code {code}), "
                          f"listed in {config.display(config.reports_dir / REPORT)}")


register(Stage(name="typecheck", summary="mypy over the project", run=typecheck,
               artifacts=lambda config: (config.reports_dir / REPORT, config.reports_dir / JUNIT),
               description=f"Run mypy over the configuration's typecheck_paths; output to "
                           f"{REPORT} and {JUNIT} in reports_dir (default reports/)."))
