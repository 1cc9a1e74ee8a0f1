"""``build``, ``push``, ``deploy``, ``rollback``, ``smoke``, ``status``: shipping the app."""
import argparse

from pipeline.ship import deploy, images, push
from pipeline.core.config import Config

ORDER = 60
# Every command here runs Ansible or the docker SDK.
EXTRA = "deploy"


def _environment(parser: argparse.ArgumentParser, optional: bool = False) -> None:
    parser.add_argument("environment", metavar="ENV", nargs="?" if optional else None,
                        help="an environment of setup.cfg [pipeline] environments, with its "
                             "inventory in ansible/inventories/ENV")


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add the shipping commands."""
    build = subparsers.add_parser(
        "build", help="build the app's image (tags X.Y.Z-build.N, git-SHA, latest)",
        description="Build docker/Dockerfile with the docker SDK from a wheelhouse prepared "
                    "here (setup.cfg's app extra), streaming progress; prints the image id and "
                    "size. Uses base_image, or the local base_image_fallback when it cannot "
                    "be pulled.")
    build.add_argument("--no-cache", action="store_true",
                       help="rebuild every layer (a cold build)")
    build.set_defaults(handler=lambda config, args: images.build(config, args.no_cache),
                       stage="build")
    push_parser = subparsers.add_parser(
        "push", help="push the built image's tags to the registry",
        description="Push X.Y.Z-build.N, git-SHA and latest to setup.cfg [pipeline] registry.")
    push_parser.set_defaults(handler=lambda config, args: push.push(config), stage="push")
    deploy_parser = subparsers.add_parser(
        "deploy", help="deploy this version to an environment with Ansible",
        description="Run ansible/deploy.yml on ENV's inventory: deploy lock, image present, "
                    "backup, migrations, start beside the old release, health and /version "
                    "checks, proxy switch, release record, smoke check. Exit 1 names the "
                    "failing host and task.")
    _environment(deploy_parser)
    deploy_parser.add_argument("--plan", action="store_true",
                               help="only say what the deploy would change: the release, pending "
                                    "migrations")
    deploy_parser.set_defaults(handler=_deploy, stage="deploy")
    rollback = subparsers.add_parser(
        "rollback", help="switch an environment back to its previous release",
        description="Run ansible/rollback.yml: start the previous successful release's image "
                    "(kept on the hosts), check it, switch the proxy back. Refused when that "
                    "release predates the live schema, unless --allow-schema-mismatch.")
    _environment(rollback)
    rollback.add_argument("--to", type=int, metavar="BUILD", help="roll back to this build")
    rollback.add_argument("--allow-schema-mismatch", action="store_true",
                          help="roll back even when the release predates the live schema")
    rollback.set_defaults(handler=_rollback)
    smoke = subparsers.add_parser(
        "smoke", help="check that an environment serves its recorded release",
        description="Ask the proxy for /version and / and compare with the release record.")
    _environment(smoke)
    smoke.set_defaults(handler=lambda config, args: deploy.smoke(config, args.environment))
    status = subparsers.add_parser(
        "status", help="show what release runs where",
        description="For each host of ENV (default: setup.cfg deploy_environment): the "
                    "recorded release and what /version answers.")
    _environment(status, optional=True)
    status.set_defaults(handler=lambda config, args: deploy.status(config, args.environment))
    provision = subparsers.add_parser(
        "provision", help="prepare an environment's hosts for deploys",
        description="Run ansible/provision.yml: install and start the Docker engine, the "
                    "image registry (on the registry group's hosts) and the base images, built "
                    "from Debian's packages when no registry has them.")
    _environment(provision)
    provision.set_defaults(handler=lambda config, args: deploy.provision(config,
                                                                         args.environment))


def _deploy(config: Config, args: argparse.Namespace) -> None:
    deploy.deploy(config, args.environment, plan=args.plan)


def _rollback(config: Config, args: argparse.Namespace) -> None:
    deploy.rollback(config, args.environment, args.to, args.allow_schema_mismatch)
