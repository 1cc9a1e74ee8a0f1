"""``pipeline lint|typecheck|test``: the quality stages, which take no arguments."""
import argparse

from pipeline.core.config import Config
from pipeline.stages.registry import registry

ORDER = 10
DESCRIPTIONS = {
    "lint": "Run flake8 over setup.cfg's [pipeline] lint_paths; the report goes to "
            "reports/flake8.txt.",
    "typecheck": "Run mypy over [pipeline] typecheck_paths; output to reports/mypy.txt and "
                 "reports/mypy-junit.xml.",
    "test": "Run pytest under coverage ([pipeline] test_args are passed on) and write "
            "reports/junit.xml, reports/coverage.xml (Cobertura) and reports/htmlcov/. Fails "
            "when a test fails or coverage is below [coverage:report] fail_under.",
}


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add one command per quality stage."""
    for name, description in DESCRIPTIONS.items():
        parser = subparsers.add_parser(name, help=registry()[name].summary,
                                       description=description)
        parser.set_defaults(handler=_run_stage, stage=name)


def _run_stage(config: Config, args: argparse.Namespace) -> None:
    registry()[args.stage].run(config)
