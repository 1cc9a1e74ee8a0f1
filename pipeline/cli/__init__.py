"""``pipeline``: the command line. It parses arguments and calls stages, nothing more.

Each module of this package adds its commands through ``register(subparsers)``; a command's
parser sets ``handler`` (called with the config and the arguments) and, for a stage, ``stage``
(its name, so the run is recorded in ``pipeline.json`` of ``reports_dir``); a command for a
repository not configured yet (``init``) sets ``unconfigured`` instead, called with the
arguments alone. A module whose every command needs an extra says so as ``EXTRA``. Only the base
install is imported here: a command that needs docker, Ansible or python-jenkins imports it when
it runs, and without it says in one line which extra to install.
"""
import argparse
import importlib
import importlib.metadata
import pkgutil
import sys
from collections.abc import Sequence

from pipeline.core import config as config_module
from pipeline.core import output
from pipeline.core.errors import InputError, PipelineError, as_pipeline_error, require_extra
from pipeline.runner import load_stages, playing, require_stage_extra

PROG = "pipeline"


def installed_version() -> str:
    """The installed pipeline's version (the version.txt it was installed from)."""
    try:
        return importlib.metadata.version(PROG)
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    """The parser with every command of every module in this package, in their ORDER."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="CI/CD stages that run the same in Jenkins and on a laptop. Exit codes: "
                    "0 success, 1 the stage found a failure, 2 the input was wrong.")
    parser.add_argument("--version", action="version", version=f"{PROG} {installed_version()}")
    _add_verbosity(parser, default=output.Verbosity.NORMAL)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules = [importlib.import_module(f"{__name__}.{info.name}")
               for info in pkgutil.iter_modules(__path__)]
    for module in sorted(modules, key=lambda module: module.ORDER):
        known = set(subparsers.choices)
        module.register(subparsers)
        for name in set(subparsers.choices) - known:
            subparsers.choices[name].set_defaults(extra=getattr(module, "EXTRA", None))
    for command in _commands(parser):
        _add_verbosity(command, default=argparse.SUPPRESS)
    return parser


def _add_verbosity(parser: argparse.ArgumentParser, default: object) -> None:
    """``-q``/``-v``, before the command or after it (``pipeline run -q``); a command's parser
    leaves the value alone when they are not given there (``default=SUPPRESS``)."""
    volume = parser.add_mutually_exclusive_group()
    volume.add_argument("-q", "--quiet", dest="verbosity", action="store_const",
                        const=output.Verbosity.QUIET, default=default,
                        help="say only errors and summaries; stage output goes to "
                             "console/STAGE.log in reports_dir (default reports/)")
    volume.add_argument("-v", "--verbose", dest="verbosity", action="store_const",
                        const=output.Verbosity.VERBOSE, default=default,
                        help="also echo each command a stage runs")


def _commands(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every command's and sub-action's parser under ``parser``."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found += [child, *_commands(child)]
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; errors become one line on stderr and the contract's exit code."""
    args = build_parser().parse_args(argv)
    output.set_verbosity(args.verbosity)
    try:
        if args.extra is not None:
            require_extra(args.extra)
        unconfigured = getattr(args, "unconfigured", None)
        if unconfigured is not None:
            unconfigured(args)
            return 0
        config = config_module.load()
        stage_name: str | None = getattr(args, "stage", None)
        if stage_name is None:
            args.handler(config, args)
        else:
            stage = load_stages()[stage_name]
            require_stage_extra(stage)
            with playing(config, stage, sys.stdout):
                args.handler(config, args)
    except (PipelineError, ModuleNotFoundError) as error:
        failure = as_pipeline_error(error)
        if isinstance(error, ModuleNotFoundError) and not isinstance(failure, InputError):
            raise  # not an optional dependency: a bug, with its traceback
        print(f"{PROG}: error: {failure}", file=sys.stderr)
        return failure.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return 0
