"""``pipeline``: the command line. It parses arguments and calls stages, nothing more.

Each module of this package adds its commands through ``register(subparsers)``; a command's
parser sets ``handler`` (called with the config and the arguments) and, for a stage, ``stage``
(its name, so the run is recorded in ``reports/pipeline.json``).
"""
import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from pipeline.core import config as config_module
from pipeline.core import reports
from pipeline.core.errors import PipelineError
from pipeline.stages.registry import registry

PROG = "pipeline"


def build_parser() -> argparse.ArgumentParser:
    """The parser with every command of every module in this package, in their ORDER."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="CI/CD stages that run the same in Jenkins and on a laptop. Exit codes: "
                    "0 success, 1 the stage found a failure, 2 the input was wrong.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules = [importlib.import_module(f"{__name__}.{info.name}")
               for info in pkgutil.iter_modules(__path__)]
    for module in sorted(modules, key=lambda module: module.ORDER):
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; errors become one line on stderr and the contract's exit code."""
    args = build_parser().parse_args(argv)
    try:
        config = config_module.load()
        stage_name: str | None = getattr(args, "stage", None)
        if stage_name is None:
            args.handler(config, args)
        else:
            stage = registry()[stage_name]
            with reports.recorded(config, stage.name, stage.artifacts):
                args.handler(config, args)
    except PipelineError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return 0
