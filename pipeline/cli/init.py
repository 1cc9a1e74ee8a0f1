"""``pipeline init``: write a service's pipeline files from what its repository says."""
import argparse
from pathlib import Path

from pipeline.init.answers import flags_of
from pipeline.init.command import init

ORDER = 5


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``init``."""
    parser = subparsers.add_parser(
        "init", help="adopt the pipeline in a service's repository: configuration, "
                     "Jenkinsfile, inventories",
        description="Detect the service (a Flask app or factory, or a Django project; its "
                    "requirements, test requirements, migrations and version) and write the "
                    "commented configuration block (pyproject.toml [tool.pipeline], else "
                    "setup.cfg [pipeline]), the Jenkinsfile, ansible/inventories/local and "
                    "commented staging and production examples, and version.txt when missing. "
                    "Never asks: each flag gives what detection cannot. Writes nothing when a "
                    "file it would write exists, unless --force.")
    parser.add_argument("--dir", type=Path, default=Path("."), metavar="DIR",
                        help="the service's repository (default: the working directory)")
    parser.add_argument("--force", action="store_true",
                        help="overwrite the files and the configuration block init writes")
    parser.add_argument("--name", help="the service's name: image, stack and Jenkins job "
                                       "(default: its metadata's name, else the folder's)")
    parser.add_argument("--wsgi", metavar="MODULE:CALLABLE",
                        help="the WSGI application gunicorn serves (default: detected)")
    parser.add_argument("--port", type=int,
                        help="the port the service listens on in its container (default 8000)")
    parser.add_argument("--health-path", metavar="PATH",
                        help="the liveness path (default: /healthz, /health, ... if routed, "
                             "else the version path, else /)")
    parser.add_argument("--version-path", metavar="PATH",
                        help="the path telling which build runs (default: /version if routed)")
    parser.add_argument("--version-field", metavar="FIELD",
                        help="its JSON field holding the build or version (default: detected)")
    parser.add_argument("--metrics-path", metavar="PATH",
                        help="the path Prometheus scrapes ('' for none; default: /metrics if "
                             "routed or served by a Prometheus library, else none)")
    parser.add_argument("--migrate-command", metavar="COMMAND",
                        help="the database migration command ('' for none; default: flask db "
                             "upgrade with Flask-Migrate, python manage.py migrate with Django)")
    parser.add_argument("--requirements", metavar="FILE",
                        help="the image's dependencies (default: the first of requirements.txt, "
                             "poetry.lock, pyproject.toml)")
    parser.add_argument("--test-requirements", metavar="FILE",
                        help="the test tools' requirements (default: requirements.test.txt, "
                             "requirements-dev.txt, ... if present)")
    parser.add_argument("--service-version", metavar="X.Y.Z",
                        help="write version.txt with this release (default: kept if present, "
                             "else the metadata's version, else 0.1.0)")
    parser.add_argument("--proxy-port", type=int, metavar="PORT",
                        help="the local environment's public port on 127.0.0.1 (default 8080; "
                             "another port moves the stack's other ports after it)")
    parser.add_argument("--main-branch", metavar="BRANCH",
                        help="the branch the deploy job deploys (default: origin's HEAD, else "
                             "the current branch, else main)")
    parser.add_argument("--setup-command", metavar="COMMAND",
                        help="what prepares a Jenkins workspace (default: make setup when the "
                             "Makefile has it, else a .venv with the requirements and this "
                             "library)")
    parser.add_argument("--integration-command", metavar="COMMAND",
                        help="the tests that need Docker, run on a Docker agent (default: make "
                             "test-integration when the Makefile has it, else none)")
    # A repository that is not configured yet: init reads no configuration.
    parser.set_defaults(unconfigured=_init)


def _init(args: argparse.Namespace) -> None:
    init(args.dir.resolve(), flags_of(args), args.force)
