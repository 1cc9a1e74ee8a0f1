"""Shipping the app: ``build``, ``push``, ``deploy``, ``rollback``, ``smoke``, ``status``,
``restore``, ``lock``, ``provision``, ``destroy``."""
import argparse
import os
import re
from pathlib import Path

from pipeline.core.config import Config
from pipeline.core.errors import InputError
from pipeline.ship import deploy, destroy, images, push
from pipeline.ship import lock as ship_lock
from pipeline.ship import provision as provisioning
from pipeline.ship import status as ship_status

ORDER = 60
# Every command here runs Ansible or the docker SDK.
EXTRA = "deploy"


def _environment(parser: argparse.ArgumentParser, optional: bool = False) -> None:
    parser.add_argument("environment", metavar="ENV", nargs="?" if optional else None,
                        help="an environment of setup.cfg [pipeline] environments, with its "
                             "inventory in ansible/inventories/ENV")


def _skip_host(parser: argparse.ArgumentParser, verb: str) -> None:
    parser.add_argument("--skip-host", action="append", default=[], metavar="HOST",
                        dest="skip_hosts",
                        help=f"{verb} without this app host (it is down): the run does not "
                             "touch it, takes it out of the proxy and says so; it stays out "
                             "until a run without the flag reaches it (repeatable)")


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add the shipping commands."""
    build = subparsers.add_parser(
        "build", help="build the service's image (tags X.Y.Z-build.N, git-SHA, latest)",
        description="Build the service's image with the docker SDK (its own dockerfile, or the "
                    "library's template) from a wheelhouse prepared here from its requirements "
                    "and constraints, streaming progress; prints the image id and size. Uses "
                    "base_image, or the local base_image_fallback when it cannot be pulled.")
    build.add_argument("--no-cache", action="store_true",
                       help="rebuild every layer (a cold build)")
    build.set_defaults(handler=lambda config, args: images.build(config, args.no_cache),
                       stage="build")
    push_parser = subparsers.add_parser(
        "push", help="push the built image's tags to the environments' registries",
        description="Push X.Y.Z-build.N, git-SHA and latest to the registry each ENV's "
                    "inventory names (registry_address), once per registry; logs in with "
                    "REGISTRY_USER and REGISTRY_PASSWORD when they are set.")
    push_parser.add_argument("environments", metavar="ENV", nargs="*",
                             help="the environments the image is for (default: the "
                                  "configuration's deploy_environment)")
    push_parser.set_defaults(handler=lambda config, args: push.push(config, args.environments),
                             stage="push")
    deploy_parser = subparsers.add_parser(
        "deploy", help="deploy this version to an environment with Ansible",
        description="Run the deploy.yml playbook on ENV's inventory: every host answers, deploy "
                    "lock, image present, backup, migrations once, then per app host (in "
                    "batches of app_rollout_batch): start beside the serving release, ready, "
                    "/version, switch the proxy, watch, retire the old one, record; smoke check "
                    "through the proxy. Exit 1 names the failing host and task; the hosts not "
                    "switched keep serving their release. A host that does not answer stops "
                    "it before anything changes, unless --skip-host names it.")
    _environment(deploy_parser)
    deploy_parser.add_argument("--plan", action="store_true",
                               help="only say what the deploy would change: per host the image "
                                    "from -> to, pending migrations, what restarts")
    deploy_parser.add_argument("--json", action="store_true",
                               help="with --plan: print the plan as one JSON object")
    deploy_parser.add_argument("--json-file", type=Path, metavar="FILE",
                               help="with --plan: print the plan as text and also write it as "
                                    "JSON to FILE (one planning run for both)")
    deploy_parser.add_argument("--allow-contract", action="store_true",
                               help="run a migration marked as a contract step (the serving "
                                    "release cannot run on its schema)")
    _skip_host(deploy_parser, "deploy")
    deploy_parser.set_defaults(handler=_deploy, stage="deploy")
    rollback = subparsers.add_parser(
        "rollback", help="switch an environment back to its previous release",
        description="Run the rollback.yml playbook: every app host to ONE build, the "
                    "environment's previous release (the newest-deployed build before the one "
                    "an app host serves that every app host keeps, or --to), started from the "
                    "image the hosts kept, checked, switched behind the proxy; hosts already "
                    "on it are left as they are. Refused when that release predates the live "
                    "schema, unless --allow-schema-mismatch.")
    _environment(rollback)
    rollback.add_argument("--to", type=int, metavar="BUILD", help="roll back to this build")
    rollback.add_argument("--allow-schema-mismatch", action="store_true",
                          help="roll back even when the release predates the live schema")
    _skip_host(rollback, "roll back")
    rollback.set_defaults(handler=_rollback)
    smoke = subparsers.add_parser(
        "smoke", help="check that an environment serves its recorded release",
        description="Ask the proxy's public URL for /version and compare with the release "
                    "record of the first app host.")
    _environment(smoke)
    smoke.set_defaults(handler=lambda config, args: deploy.smoke(config, args.environment))
    status = subparsers.add_parser(
        "status", help="show what release runs where",
        description="For each app host of ENV (default: setup.cfg deploy_environment): the "
                    "recorded release and what serves (the release the proxy points at, and "
                    "its /version); the deploy lock; the public URL.")
    _environment(status, optional=True)
    status.add_argument("--json", action="store_true",
                        help="one JSON object: environment, url, lock, hosts (one per host)")
    status.set_defaults(handler=lambda config, args: ship_status.status(
        config, args.environment, args.json))
    restore = subparsers.add_parser(
        "restore", help="restore a database backup of an environment",
        description="Restore a pg_dump backup kept on the database host (the newest unless "
                    "--backup names one), in one transaction, under the deploy lock. Deploys "
                    "take one before migrating. Needs --yes: it replaces the data.")
    _environment(restore)
    restore.add_argument("--backup", metavar="NAME", help="the backup's file name")
    restore.add_argument("--yes", action="store_true", help="confirm: replace the data")
    restore.set_defaults(handler=_restore)
    lock = subparsers.add_parser(
        "lock", help="show or release an environment's deploy lock",
        description="The deploy lock (on the first database host) keeps two deploys, "
                    "rollbacks or restores of one environment from running at once. A crashed "
                    "run's lock expires by itself (deploy_lock_ttl); release frees it now.")
    lock_actions = lock.add_subparsers(dest="action", metavar="ACTION", required=True)
    lock_status = lock_actions.add_parser("status", help="who holds the lock, until when",
                                          description="Who holds the deploy lock, since and "
                                                      "until when, and its fencing token.")
    _environment(lock_status)
    lock_status.add_argument("--json", action="store_true", help="print it as JSON")
    lock_release = lock_actions.add_parser(
        "release", help="free the lock whoever holds it",
        description="Free the deploy lock whoever holds it. A lock whose run is not known dead "
                    "(its time-to-live not run out, its process not seen gone on this "
                    "machine) is freed only with --yes.")
    _environment(lock_release)
    lock_release.add_argument("--yes", action="store_true",
                              help="confirm: free it even though its run may be alive")
    for action in (lock_status, lock_release):
        action.set_defaults(handler=lambda config, args: ship_lock.lock(
            config, args.environment, args.action, getattr(args, "json", False),
            getattr(args, "yes", False)))
    provision = subparsers.add_parser(
        "provision", help="prepare an environment's hosts for deploys",
        description="Run the provision.yml playbook: install and start the Docker engine, the "
                    "image registry (on the registry group's hosts) and the base images, built "
                    "from Debian's packages when no registry has them, the database, the proxy "
                    "and the monitoring.")
    _environment(provision)
    provision.add_argument(
        "--if-changed", action="store_true",
        help="first ask every host whether it is as its last provision left it (same "
             "playbooks, roles and inventory; same containers running); skip when all are "
             "(make deploy does this)")
    provision.set_defaults(handler=lambda config, args: provisioning.provision(
        config, args.environment, args.if_changed))
    destroy_parser = subparsers.add_parser(
        "destroy", help="remove an environment's stack: containers, network (data: --volumes)",
        description="Run the destroy.yml playbook on ENV's hosts: remove every container of the "
                    "stack (releases, database, proxy, monitoring) and its network, and print "
                    "what went. Images and the registry stay. Any ENV but local needs --yes.")
    _environment(destroy_parser)
    destroy_parser.add_argument("--volumes", action="store_true",
                                help="also remove the data: the stack's volumes (database, "
                                     "Prometheus, Alertmanager) and stack_dir (secrets, "
                                     "backups, release records)")
    destroy_parser.add_argument("--yes", action="store_true",
                                help="confirm: needed for every environment but local")
    destroy_parser.set_defaults(handler=lambda config, args: destroy.destroy(
        config, args.environment, args.volumes, args.yes))


def _deploy(config: Config, args: argparse.Namespace) -> None:
    for given, option in ((args.json, "--json"), (args.json_file, "--json-file")):
        if given and not args.plan:
            raise InputError(f"{option} goes with --plan")
    if args.json_file is not None:
        _check_writable(args.json_file, "--json-file")
    if args.plan and args.skip_hosts:
        raise InputError("--skip-host does not go with --plan: the plan asks every app host")
    deploy.deploy(config, args.environment, plan=args.plan, as_json=args.json,
                  allow_contract=args.allow_contract, json_file=args.json_file,
                  skip_hosts=_host_names(args.skip_hosts))


# An inventory host name: no pattern (no ':', '!', '*', ',', '&'), so --skip-host names hosts.
HOST_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def _host_names(names: list[str]) -> tuple[str, ...]:
    """The hosts --skip-host named, each once; one that is not a host name is refused (the
    playbook refuses a name its inventory has no app host of)."""
    for name in names:
        if not HOST_NAME.fullmatch(name):
            raise InputError(f"--skip-host {name!r} is not a host name (letters, digits, "
                             "'_', '.', '-')")
    return tuple(dict.fromkeys(names))


def _check_writable(path: Path, option: str) -> None:
    """Refuse, before any host is asked, a file that could not be written afterwards (its
    missing folders are made when it is written)."""
    folder = path.absolute().parent
    while not folder.exists():
        folder = folder.parent
    if path.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK):
        raise InputError(f"{option} {path}: cannot write a file there")


# A backup's file name as the postgres role writes it (DB-TIMESTAMP-LABEL.dump), no folder.
BACKUP_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\.dump")


def _restore(config: Config, args: argparse.Namespace) -> None:
    if args.backup is not None and not BACKUP_NAME.fullmatch(args.backup):
        raise InputError(f"--backup {args.backup!r} is not a backup's file name "
                         "(DATABASE-TIME-LABEL.dump, no folder)")
    deploy.restore(config, args.environment, args.backup, args.yes)


def _rollback(config: Config, args: argparse.Namespace) -> None:
    if args.to is not None and args.to < 1:
        raise InputError(f"--to {args.to}: a build number is 1 or more")
    deploy.rollback(config, args.environment, args.to, args.allow_schema_mismatch,
                    _host_names(args.skip_hosts))
