"""``pipeline jenkins sync|build|approve|abort|status`` and ``pipeline hooks install``.

Jenkins is reached with JENKINS_URL, JENKINS_USER and JENKINS_TOKEN (an API token) from the
environment; the job is described by setup.cfg's ``[pipeline] jenkins_*`` keys.
"""
import argparse
import os
from pathlib import Path

from pipeline.core.config import Config
from pipeline.core.errors import InputError
from pipeline.jenkins import hooks
from pipeline.jenkins.settings import JobSettings, ServerSettings

ORDER = 80
ENVIRONMENT_HELP = ("Jenkins is reached with JENKINS_URL, JENKINS_USER and JENKINS_TOKEN from "
                    "the environment. Exit codes: 0 done, 1 Jenkins unreachable or the build "
                    "failed, 2 bad input (settings, credentials, unknown job or build).")


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``jenkins`` with its actions, and ``hooks install``."""
    parser = subparsers.add_parser("jenkins", help="drive the Jenkins job from here",
                                   description=ENVIRONMENT_HELP)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    sync_parser = actions.add_parser(
        "sync", help="create or update the job from setup.cfg",
        description="Render the job's config.xml from setup.cfg [pipeline] jenkins_* and "
                    "create the job, or update it only when it differs. " + ENVIRONMENT_HELP)
    sync_parser.set_defaults(handler=_sync)

    build_parser = actions.add_parser(
        "build", help="start a build, optionally following its console",
        description="Queue a build, wait for its number and print its URL; with --follow, "
                    "stream the console and exit 0 only if the build ends SUCCESS. "
                    + ENVIRONMENT_HELP)
    build_parser.add_argument("--job", help="the job (default: setup.cfg jenkins_job_name)")
    build_parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                              help="a build parameter, e.g. DEPLOY_TO=staging (repeatable)")
    build_parser.add_argument("--follow", action="store_true",
                              help="stream the console until the build ends")
    build_parser.add_argument("--poll-seconds", type=float, default=2.0, metavar="S",
                              help="seconds between polls of the queue and console")
    build_parser.set_defaults(handler=_build)

    for name, verb in (("approve", "approve"), ("abort", "refuse")):
        answer_parser = actions.add_parser(
            name, help=f"{verb} the approval a build waits for",
            description=f"{verb.capitalize()} the input step (e.g. the production approval) "
                        "that build BUILD of JOB waits at. Jenkins checks that you are one of "
                        "the approvers. " + ENVIRONMENT_HELP)
        answer_parser.add_argument("job", metavar="JOB")
        answer_parser.add_argument("build", metavar="BUILD", type=int)
        answer_parser.add_argument("--input", metavar="ID",
                                   help="the input's id when the build waits at several")
        answer_parser.set_defaults(handler=_answer, approve=name == "approve")

    status_parser = actions.add_parser(
        "status", help="last builds of a job: results and versions",
        description="List the newest builds of JOB with their result and the version they "
                    "built. " + ENVIRONMENT_HELP)
    status_parser.add_argument("job", metavar="JOB", nargs="?",
                               help="the job (default: setup.cfg jenkins_job_name)")
    status_parser.add_argument("--limit", type=int, default=10, help="how many builds")
    status_parser.set_defaults(handler=_status)

    hooks_parser = subparsers.add_parser(
        "hooks", help="install the git hook that tells Jenkins about pushes",
        description="Git hooks for the repository Jenkins builds from.")
    hook_actions = hooks_parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    install = hook_actions.add_parser(
        "install", help="install a post-receive hook in a bare repository",
        description="Install a post-receive hook that calls Jenkins' /git/notifyCommit for "
                    "each pushed branch and never blocks a push. JENKINS_NOTIFY_TOKEN, when "
                    "set, is stored for the hook in a file only its owner can read.")
    install.add_argument("--repo", required=True, type=Path, metavar="PATH",
                         help="the bare repository on the git server")
    install.add_argument("--jenkins-url", metavar="URL",
                         help="Jenkins' URL (default: $JENKINS_URL)")
    install.add_argument("--repository-url", metavar="URL",
                         help="the URL Jenkins clones from, as in the job "
                              "(default: setup.cfg jenkins_repository_url)")
    install.set_defaults(handler=_install_hook)


# python-jenkins (the jenkins extra) is imported by each command that talks to Jenkins, when it
# runs: `pipeline --help` and `hooks install` work without it.
def _sync(config: Config, args: argparse.Namespace) -> None:
    from pipeline.jenkins import sync
    from pipeline.jenkins.client import connect

    server = ServerSettings.from_environ()
    job = JobSettings.from_config(config)
    outcome = sync.sync_job(connect(server), server, job)
    print(f"job '{job.job_name}' {outcome.value} at {server.url}job/{job.job_name}/")


def _build(config: Config, args: argparse.Namespace) -> None:
    from pipeline.jenkins import builds
    from pipeline.jenkins.client import connect

    parameters = builds.parse_parameters(args.param)
    if args.poll_seconds <= 0:
        raise InputError("--poll-seconds must be positive")
    server = ServerSettings.from_environ()
    job = args.job or config.get("jenkins_job_name")
    client = connect(server)
    polling = builds.Polling(interval=args.poll_seconds)
    number = builds.start_build(client, server, job, parameters, polling)
    print(f"build #{number} of '{job}' started: {server.url}job/{job}/{number}/", flush=True)
    if args.follow:
        result = builds.follow(client, server, job, number, polling)
        builds.require_success(job, number, result)


def _answer(config: Config, args: argparse.Namespace) -> None:
    from pipeline.jenkins import approval
    from pipeline.jenkins.client import connect

    server = ServerSettings.from_environ()
    chosen = approval.answer(connect(server), server, args.job, args.build, args.approve,
                             args.input)
    done = "approved" if args.approve else "aborted"
    print(f"build #{args.build} of '{args.job}': input '{chosen.id}' {done}")


def _status(config: Config, args: argparse.Namespace) -> None:
    from pipeline.jenkins import status
    from pipeline.jenkins.client import connect

    if args.limit < 1:
        raise InputError("--limit must be at least 1")
    server = ServerSettings.from_environ()
    job = args.job or config.get("jenkins_job_name")
    print(status.format_table(job, status.recent_builds(connect(server), server, job,
                                                        args.limit)))


def _install_hook(config: Config, args: argparse.Namespace) -> None:
    jenkins_url = args.jenkins_url or os.environ.get("JENKINS_URL", "")
    if not jenkins_url:
        raise InputError("give --jenkins-url or set JENKINS_URL")
    repository_url = args.repository_url or config.get("jenkins_repository_url")
    hook = hooks.install_hook(args.repo, jenkins_url, repository_url,
                              os.environ.get("JENKINS_NOTIFY_TOKEN") or None)
    print(f"installed {hook}: pushes notify {jenkins_url} for {repository_url}")
