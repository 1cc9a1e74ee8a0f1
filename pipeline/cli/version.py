"""``pipeline version``: print, stamp a build number, bump a release, or take a built one's
version to redeploy it."""
import argparse

from pipeline.core.config import Config
from pipeline.core.version import VERSION_FORMAT, read_version
from pipeline.ship import redeploy
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
    redeploy_parser = actions.add_parser(
        "redeploy", help="write build N's version, as the registries hold its image",
        description="Redeploy a build without rebuilding it: check that the registry each "
                    "ENV's inventory names holds build N's image (X.Y.Z-build.N) and write "
                    "that image's version (its org.opencontainers.image.version label, else "
                    "its tag) into version_file, for deploy to release it. Reads the registry "
                    "as REGISTRY_USER when REGISTRY_USER and REGISTRY_PASSWORD are set.")
    redeploy_parser.add_argument("number", metavar="N", help="the build number to redeploy")
    redeploy_parser.add_argument("environments", metavar="ENV", nargs="*",
                                 help="the environments it is for (default: the "
                                      "configuration's deploy_environment)")
    # Ansible reads the inventories' registries: the deploy extra.
    redeploy_parser.set_defaults(handler=_redeploy, stage="version", extra="deploy")


def _print(config: Config, args: argparse.Namespace) -> None:
    print(read_version(config))


def _build(config: Config, args: argparse.Namespace) -> None:
    version_stage.stamp_build(config, args.number)


def _redeploy(config: Config, args: argparse.Namespace) -> None:
    redeploy.redeploy(config, args.number, args.environments)


def _bump(config: Config, args: argparse.Namespace) -> None:
    version_stage.bump(config, args.part)
