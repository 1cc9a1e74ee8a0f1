"""``pipeline version``: print, stamp a build number, or bump a release."""
import argparse

from pipeline.core.config import Config
from pipeline.core.version import VERSION_FORMAT, read_version
from pipeline.stages import version as version_stage

ORDER = 40


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``version`` with its ``build`` and ``bump`` actions."""
    parser = subparsers.add_parser(
        "version", help="print the version, stamp a build number or bump a release",
        description=f"version_file (default version.txt) holds {VERSION_FORMAT}. "
                    "Without an action, print it.")
    parser.set_defaults(handler=_print)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    build = actions.add_parser(
        "build", help="write the next build number into version_file (the version stage)",
        description="Write build number N, else $BUILD_NUMBER (as Jenkins sets it), else the "
                    "current build + 1.")
    build.add_argument("--number", metavar="N", help="the build number to write")
    build.set_defaults(handler=_build, stage="version")
    bump = actions.add_parser(
        "bump", help="start a release through bump-my-version",
        description="Raise one part of MAJOR.MINOR.PATCH; the parts after it reset to 0 and "
                    "the build number is kept.")
    bump.add_argument("part", choices=version_stage.RELEASE_PARTS)
    bump.set_defaults(handler=_bump)


def _print(config: Config, args: argparse.Namespace) -> None:
    print(read_version(config))


def _build(config: Config, args: argparse.Namespace) -> None:
    version_stage.stamp_build(config, args.number)


def _bump(config: Config, args: argparse.Namespace) -> None:
    version_stage.bump(config, args.part)
