"""The service's Jenkinsfile: the library's template with the service's ``@Field`` values.

The values are Groovy single-quoted strings (never interpolated); a quote or backslash in one
would end it early, so such a value is refused rather than escaped into something unreadable.
"""
from dataclasses import asdict, dataclass

from pipeline.core.errors import InputError
from pipeline.init.templates import fill

TEMPLATE = "Jenkinsfile"
DEPLOY_FOLDER = "deploy"


@dataclass(frozen=True)
class JenkinsfileValues:
    """What differs from one service's Jenkinsfile to another's."""

    main_branch: str
    deploy_job: str
    setup_command: str
    integration_command: str
    # Where the stages leave what Jenkins publishes and stashes: the configuration's
    # reports_dir and version_file, as written there (relative to the repository).
    reports_dir: str
    version_file: str

    @classmethod
    def of(cls, job_name: str, main_branch: str, setup_command: str, integration_command: str,
           reports_dir: str, version_file: str) -> "JenkinsfileValues":
        """The deploy job is the build job's name in the folder that alone holds the deploy
        credentials."""
        return cls(main_branch, f"{DEPLOY_FOLDER}/{job_name}-deploy", setup_command,
                   integration_command, reports_dir, version_file)


def render(values: JenkinsfileValues) -> str:
    """The Jenkinsfile's text."""
    fields = asdict(values)
    for name, value in fields.items():
        if "'" in value or "\\" in value:
            raise InputError(f"--{name.replace('_', '-')} {value!r}: the Jenkinsfile cannot "
                             "hold a quote or a backslash in it")
    return fill(TEMPLATE, fields)
