"""``pipeline jenkins casc|sync|build|approve|abort|status`` and ``pipeline hooks install``.

Jenkins is reached with JENKINS_URL, JENKINS_USER and JENKINS_TOKEN (an API token) from the
environment; the jobs are described by setup.cfg's ``[pipeline] jenkins_*`` keys and the
Jenkinsfile's declarations (pipeline/jenkins/definition.py).
"""
import argparse
import os
from pathlib import Path

from pipeline.core.config import Config
from pipeline.core.errors import InputError, StageFailed
from pipeline.jenkins import hooks
from pipeline.jenkins.definition import CASC_FILE, define
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

    casc_parser = actions.add_parser(
        "casc", help="render the controller's casc.yaml from the definition",
        description=f"Write {CASC_FILE} (Configuration as Code: jobs, deploy folder and "
                    "its credentials, agents, accounts, roles) from setup.cfg [pipeline] "
                    "jenkins_* and the Jenkinsfile's declarations. With --check, change "
                    "nothing and exit 1 when the file differs from the render.")
    casc_parser.add_argument("--check", action="store_true",
                             help="only compare; exit 1 when the file is not the render")
    casc_parser.set_defaults(handler=_casc)

    sync_parser = actions.add_parser(
        "sync", help="create or update the jobs from the definition",
        description="Render the jobs' config.xml from setup.cfg [pipeline] jenkins_* and the "
                    "Jenkinsfile's declarations; create missing folders and jobs, and update "
                    "a job only when it differs. A folder that exists is never rewritten (its "
                    "credentials live only on the controller). Needs an administrator's "
                    "token. " + ENVIRONMENT_HELP)
    sync_parser.set_defaults(handler=_sync)

    build_parser = actions.add_parser(
        "build", help="start a build, optionally following its console",
        description="Queue a build, wait for its number and print its URL; with --follow, "
                    "stream the console and exit 0 only if the build ends SUCCESS. "
                    + ENVIRONMENT_HELP)
    build_parser.add_argument("--job", help="the job (default: the deploy job)")
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
                               help="the job (default: the deploy job, whose builds carry "
                                    "the versions)")
    status_parser.add_argument("--limit", type=int, default=10, help="how many builds")
    status_parser.add_argument("--json", action="store_true",
                               help="one JSON object instead of a table")
    status_parser.set_defaults(handler=_status)

    hooks_parser = subparsers.add_parser(
        "hooks", help="install the git hook that tells Jenkins about pushes",
        description="Git hooks for the repository Jenkins builds from.")
    hook_actions = hooks_parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    install = hook_actions.add_parser(
        "install", help="install a post-receive hook in a bare repository",
        description="Install a post-receive hook that asks Jenkins to poll the jobs after "
                    "each push and never blocks a push. It signs in as JENKINS_USER with the "
                    "API token JENKINS_TOKEN, sent in the Authorization header; the pair is "
                    "stored for the hook in a file only its owner can read.")
    install.add_argument("--repo", required=True, type=Path, metavar="PATH",
                         help="the bare repository on the git server")
    install.add_argument("--jenkins-url", metavar="URL",
                         help="Jenkins' URL (default: $JENKINS_URL)")
    install.add_argument("--job", action="append", default=[], metavar="NAME",
                         help="a job to poll (repeatable; default: the build job and the "
                              "deploy job)")
    install.set_defaults(handler=_install_hook)


# python-jenkins and PyYAML (the jenkins extra) are imported by each command that needs them,
# when it runs: `pipeline --help` and `hooks install` work without them.
def _casc(config: Config, args: argparse.Namespace) -> None:
    from pipeline.jenkins import casc

    rendered = casc.render(define(JobSettings.from_config(config)))
    path = config.root / CASC_FILE
    current = path.read_text(encoding="utf-8") if path.exists() else None
    if current == rendered:
        print(f"{CASC_FILE} is the render: unchanged")
    elif args.check:
        raise StageFailed(f"{CASC_FILE} is not what `pipeline jenkins casc` renders: "
                          "run it and commit the file")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
        print(f"wrote {CASC_FILE}")


def _sync(config: Config, args: argparse.Namespace) -> None:
    from pipeline.jenkins import sync
    from pipeline.jenkins.client import connect, job_path

    server = ServerSettings.from_environ()
    definition = define(JobSettings.from_config(config))
    for name, outcome in sync.sync(connect(server), server, definition):
        print(f"'{name}' {outcome.value}: {server.url}{job_path(name)}")


def _build(config: Config, args: argparse.Namespace) -> None:
    from pipeline.jenkins import builds
    from pipeline.jenkins.client import connect, job_path

    parameters = builds.parse_parameters(args.param)
    if args.poll_seconds <= 0:
        raise InputError("--poll-seconds must be positive")
    server = ServerSettings.from_environ()
    job = args.job or JobSettings.from_config(config).declared.deploy_job
    client = connect(server)
    polling = builds.Polling(interval=args.poll_seconds)
    number = builds.start_build(client, server, job, parameters, polling)
    print(f"build #{number} of '{job}' started: {server.url}{job_path(job, number)}", flush=True)
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
    job = args.job or JobSettings.from_config(config).declared.deploy_job
    summaries = status.recent_builds(connect(server), server, job, args.limit)
    print(status.format_json(job, summaries) if args.json else status.format_table(job, summaries))


def _install_hook(config: Config, args: argparse.Namespace) -> None:
    environ = dict(os.environ)
    if args.jenkins_url:
        environ["JENKINS_URL"] = args.jenkins_url
    server = ServerSettings.from_environ(environ)
    if args.job:
        jobs = args.job
    else:
        settings = JobSettings.from_config(config)
        jobs = [settings.job_name, settings.declared.deploy_job]
    hook = hooks.install_hook(args.repo, server, jobs)
    print(f"installed {hook}: pushes ask {server.url} to poll {', '.join(jobs)} "
          f"as '{server.user}'")
