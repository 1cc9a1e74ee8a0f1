"""The one table of configuration keys: name, kind, default, one line of doc, group.

Everything that knows about a key reads it from here: the loader validates a repository's
``[tool.pipeline]`` (pyproject.toml) or ``[pipeline]`` (setup.cfg) against it and rejects any
other key; ``pipeline config show`` lists it; ``pipeline init`` renders its commented
configuration file from it; docs/reference.md's table is checked against it. The order of
``KEYS`` is that rendering order: by group (``GROUPS``), then as a reader meets them.

A default is the text as it would be written in setup.cfg: a list is comma- or space-separated
(one item per line when the value spans lines; a TOML array in pyproject.toml), a path is
relative to the repository's root, ``""`` is empty. Any key can be overridden from the
environment as ``PIPELINE_<KEY>`` (``Key.variable``); the few other ``PIPELINE_*`` variables
the pipeline sets or reads for its own purposes are ``INTERNAL_VARIABLES``.
"""
from dataclasses import dataclass
from typing import Literal

Kind = Literal["str", "int", "bool", "list", "path"]
Group = Literal["stages", "image", "run", "deploy", "jenkins"]

ENV_PREFIX = "PIPELINE_"
# Rendering order of the groups, and what each one is about.
GROUPS: tuple[tuple[Group, str], ...] = (
    ("stages", "what `pipeline run` plays and where the stages leave their artifacts"),
    ("image", "how the service's image is built and where it is pushed"),
    ("run", "how the service runs, answers its checks and migrates its database"),
    ("deploy", "where the service is deployed"),
    ("jenkins", "the Jenkins job that builds every branch"),
)


@dataclass(frozen=True)
class Key:
    """One configuration key: ``default`` is its text as written in setup.cfg."""

    name: str
    kind: Kind
    default: str
    doc: str
    group: Group

    @property
    def variable(self) -> str:
        """The environment variable that overrides it: ``PIPELINE_<NAME>``."""
        return ENV_PREFIX + self.name.upper()


@dataclass(frozen=True)
class Variable:
    """A ``PIPELINE_*`` environment variable that is not a key override."""

    name: str
    doc: str


KEYS: tuple[Key, ...] = (
    # stages
    Key("stages", "list", "lint, typecheck, test, version, build, push, deploy",
        "the stages `pipeline run` plays, in this order", "stages"),
    Key("reports_dir", "path", "reports",
        "where every stage writes its reports, logs and pipeline.json", "stages"),
    Key("version_file", "path", "version.txt",
        "the file holding the version, MAJOR.MINOR.PATCH+build.N", "stages"),
    Key("lint_paths", "list", ".", "the files and folders flake8 checks", "stages"),
    Key("typecheck_paths", "list", ".", "the files and folders mypy checks", "stages"),
    Key("test_args", "str", "", "extra pytest arguments of the test stage (shell words)",
        "stages"),
    Key("lint_tool", "str", "flake8",
        "the lint stage's tool, with the service's own settings: flake8 (report flake8.txt) or "
        "ruff (ruff.txt, and ruff-junit.xml for Jenkins)", "stages"),
    Key("test_requirements", "list", "",
        "requirement files and pip requirements (e.g. requirements-dev.txt, .[test]) of an "
        "environment the quality tools run in; empty: the library's own", "stages"),
    Key("test_env_dir", "path", "build/test-env",
        "where that environment is built once, and rebuilt when its requirements change",
        "stages"),
    Key("source_url", "str", "",
        "the repository's URL, the image's org.opencontainers.image.source label", "stages"),
    # image
    Key("image_name", "str", "",
        "the image's name; empty: the repository folder's name, lower-cased, "
        "other characters as '-'", "image"),
    Key("dockerfile", "path", "",
        "the service's own Dockerfile; empty: the library's template", "image"),
    Key("requirements", "path", "",
        "requirements.txt, pyproject.toml or poetry.lock the image's dependencies come from; "
        "empty: the first that exists", "image"),
    Key("constraints", "list", "",
        "extra requirement lines the image is installed with (e.g. SQLAlchemy<1.4.46), "
        "one per line", "image"),
    Key("image_paths", "list", ".", "what the library's template copies into the image",
        "image"),
    Key("base_image", "str", "python:3.11-slim-bookworm",
        "the image the service's image starts from", "image"),
    Key("base_image_fallback", "str", "pipeline/python:3.11-bookworm",
        "the base used when base_image cannot be pulled (built by `make provision`)", "image"),
    Key("wheelhouse_dir", "path", "build/wheelhouse",
        "where the image's wheels are built before the image", "image"),
    # run
    Key("command", "str", "",
        "the container's command; empty: gunicorn serving `wsgi` on `port`", "run"),
    Key("wsgi", "str", "", "the WSGI application gunicorn serves, as module:callable", "run"),
    Key("port", "int", "8000", "the port the service listens on in its container", "run"),
    Key("health_path", "str", "/healthz", "the liveness path: 200 while the process serves",
        "run"),
    Key("ready_path", "str", "",
        "the readiness path: 200 when it can serve traffic; empty: health_path", "run"),
    Key("version_path", "str", "/version",
        "the path that tells which build runs; empty: the image's label tells it", "run"),
    Key("version_field", "str", "build",
        "the JSON field of version_path holding the build number or the whole version; with "
        "the build number, a `version` field beside it must hold the whole version", "run"),
    Key("metrics_path", "str", "/metrics",
        "the path Prometheus scrapes the service's metrics from; empty: it has none", "run"),
    Key("metrics_requests_counter", "str", "",
        "a counter with a `status` label (a prometheus-client Counter), as the service exposes "
        "it at metrics_path (e.g. http_requests_total): the error-ratio alert; empty: none",
        "run"),
    Key("metrics_latency_histogram", "str", "",
        "a histogram of answer times (a prometheus-client Histogram), as the service exposes "
        "it at metrics_path, without _bucket (e.g. http_request_duration_seconds): the "
        "latency alert; empty: none", "run"),
    Key("migrate_command", "str", "",
        "the command that migrates the database, run in the new image; empty: no migrations",
        "run"),
    Key("migrate_check_command", "str", "",
        "prints the pending migrations as JSON for `deploy --plan`; empty: the plan shows none",
        "run"),
    Key("migrate_lock", "bool", "true",
        "run migrate_command under the library's PostgreSQL advisory lock (the image's python3 "
        "needs psycopg, psycopg2 or pg8000), with lock and statement timeouts; false: bare",
        "run"),
    Key("schema_table", "str", "alembic_version",
        "the table the release record reads the schema revision from; empty: none", "run"),
    Key("database_url_env", "str", "DATABASE_URL",
        "the environment variable the service reads its database URL from", "run"),
    Key("env", "list", "",
        "NAME=VALUE pairs the service gets in every environment, one per line", "run"),
    # deploy
    Key("inventories_dir", "path", "ansible/inventories",
        "one Ansible inventory folder per environment: the environments are its folders",
        "deploy"),
    Key("deploy_environment", "str", "local",
        "the environment the deploy stage of `pipeline run` deploys to", "deploy"),
    # jenkins
    Key("jenkins_job_name", "str", "", "the Jenkins job that builds every branch", "jenkins"),
    Key("jenkins_repository_url", "str", "", "the git URL Jenkins clones", "jenkins"),
    Key("jenkins_branch_spec", "str", "",
        "the branches the build job builds (git plugin branch spec, e.g. **)", "jenkins"),
    Key("jenkins_jenkinsfile", "str", "",
        "the Jenkinsfile's path in the repository (e.g. Jenkinsfile)", "jenkins"),
    Key("jenkins_poll_schedule", "str", "",
        "how often Jenkins polls the repository (cron, e.g. H/15 * * * *)", "jenkins"),
    Key("jenkins_scm_credentials", "str", "",
        "the Jenkins credentials id every job clones with: give it read access only",
        "jenkins"),
)

INTERNAL_VARIABLES: tuple[Variable, ...] = (
    Variable("PIPELINE_APPROVED_BY",
             "who approved a production deploy: set by the Jenkinsfile, kept in the release "
             "record"),
    Variable("PIPELINE_ANSIBLE_RESULTS",
             "the file Ansible's pipeline_results callback writes failures to: set by the "
             "pipeline for each playbook"),
)

BY_NAME: dict[str, Key] = {key.name: key for key in KEYS}
