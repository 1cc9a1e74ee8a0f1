"""The controller as one definition: folders, jobs, credential scopes, agents, accounts, roles.

Rendered twice and nowhere written by hand: as Configuration as Code for the controller image
(:mod:`pipeline.jenkins.casc`) and as the config.xml ``pipeline jenkins sync`` posts
(:mod:`pipeline.jenkins.jobconfig`). The trust model it encodes (docker/jenkins/README.md):

- the build job builds every branch with that branch's Jenkinsfile and sees only the global,
  read-only clone credential;
- the deploy job takes its Jenkinsfile from the main branch only and lives in a folder that
  alone holds the deploy credentials; only its jobs may run on the deploy agent;
- only the approvers (the Jenkinsfile's submitter list) and administrators may approve
  production; no non-administrator may configure, and so replay, the deploy job.
"""
import re
from pathlib import Path
from dataclasses import dataclass

from pipeline.jenkins.settings import JobSettings

# Where the controller's Configuration as Code lives (rendered from this definition).
CASC_FILE = Path("docker/jenkins/controller/casc.yaml")

BUILDS_KEPT = 30
ARTIFACT_BUILDS_KEPT = 10
GLOBAL = ""
ADMIN = "admin"
AUTOMATION = "ci"
AUTHENTICATED = "authenticated"
MANAGED = (" Managed by `pipeline jenkins sync` and casc.yaml from pipeline/jenkins/"
           "definition.py: edits made here are overwritten.")
FOLDER_DESCRIPTION = "Holds the deploy credentials: only jobs in this folder can bind them."


@dataclass(frozen=True)
class ChoiceParameter:
    """A build parameter with a fixed list of values, the first being the default."""

    name: str
    choices: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class StringParameter:
    """A free-text build parameter, empty by default; the Jenkinsfile checks its value."""

    name: str
    description: str


DEPLOY_TO = ChoiceParameter(
    name="DEPLOY_TO", choices=("production", "staging", "none"),
    description="How far this build goes. production = staging, then production after "
                "approval; staging = stop after staging; none = build and push only.")
REDEPLOY_BUILD = StringParameter(
    name="REDEPLOY_BUILD",
    description="Empty: build and push this commit as a new build. A build number N: build "
                "and push nothing, deploy build N's image from the registry again (DEPLOY_TO "
                "still says how far, with the same plan and approval).")
Parameter = ChoiceParameter | StringParameter


@dataclass(frozen=True)
class PipelineJob:
    """A Pipeline job whose Jenkinsfile comes from git."""

    full_name: str
    description: str
    repository_url: str
    scm_credentials: str
    branch: str
    script_path: str
    poll_schedule: str
    parameters: tuple[Parameter, ...]

    @property
    def lightweight(self) -> bool:
        """Read only the Jenkinsfile when one branch is built; a full checkout to pick one."""
        return "*" not in self.branch


@dataclass(frozen=True)
class Credential:
    """A credential: where it is visible, and the environment variables its values come from."""

    id: str
    kind: str
    description: str
    folder: str
    secrets: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Agent:
    """A permanent inbound agent; ``jobs`` is a regular expression over the job full names
    it may run (None: any job)."""

    name: str
    label: str
    executors: int
    jobs: str | None


@dataclass(frozen=True)
class Role:
    """Permissions for users and groups, on every item (``pattern`` None) or matching ones."""

    name: str
    description: str
    pattern: str | None
    permissions: tuple[str, ...]
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Definition:
    """Everything the controller holds for this pipeline."""

    folders: tuple[str, ...]
    jobs: tuple[PipelineJob, ...]
    credentials: tuple[Credential, ...]
    agents: tuple[Agent, ...]
    users: tuple[str, ...]
    roles: tuple[Role, ...]

    def credential_folders(self) -> dict[str, str]:
        """Credential id -> the folder it lives in ("" for global)."""
        return {credential.id: credential.folder for credential in self.credentials}

    def agent_jobs(self) -> dict[str, str | None]:
        """Agent label -> the jobs its agents may run."""
        return {agent.label: agent.jobs for agent in self.agents}


def define(settings: JobSettings) -> Definition:
    """The controller for these settings."""
    declared = settings.declared
    folder = settings.deploy_folder
    build_job = PipelineJob(
        full_name=settings.job_name,
        description="Every branch and pull request, with its own Jenkinsfile: tests only. "
                    "No deploy credential is visible here." + MANAGED,
        repository_url=settings.repository_url, scm_credentials=settings.scm_credentials,
        branch=settings.branch_spec, script_path=settings.jenkinsfile,
        poll_schedule=settings.poll_schedule, parameters=())
    deploy_job = PipelineJob(
        full_name=declared.deploy_job,
        description=f"{declared.main_branch} only, with {declared.main_branch}'s Jenkinsfile: "
                    "test, build, push, deploy staging, then production after approval."
                    + MANAGED,
        repository_url=settings.repository_url, scm_credentials=settings.scm_credentials,
        branch=f"refs/heads/{declared.main_branch}", script_path=settings.jenkinsfile,
        poll_schedule=settings.poll_schedule, parameters=(DEPLOY_TO, REDEPLOY_BUILD))
    return Definition(
        folders=_parents(declared.deploy_job),
        jobs=(build_job, deploy_job),
        credentials=(
            Credential(settings.scm_credentials, "usernamePassword",
                       "Clones the repository (read-only: every branch build can use it)",
                       GLOBAL, (("username", "GIT_USERNAME"), ("password", "GIT_TOKEN"))),
            Credential(declared.registry_credentials, "usernamePassword",
                       "Pushes images: REGISTRY_USER / REGISTRY_PASSWORD in the Push stage",
                       folder, (("username", "REGISTRY_USERNAME"),
                                ("password", "REGISTRY_PASSWORD"))),
            Credential(declared.vault_credentials, "file",
                       "ANSIBLE_VAULT_PASSWORD_FILE for deploys and smoke checks",
                       folder, (("secretBytes", "ANSIBLE_VAULT_PASSWORD"),)),
            Credential(declared.ssh_credentials, "sshUserPrivateKey",
                       "ANSIBLE_PRIVATE_KEY_FILE / ANSIBLE_REMOTE_USER for deploys and smoke "
                       "checks", folder, (("username", "DEPLOY_SSH_USER"),
                                          ("privateKey", "DEPLOY_SSH_PRIVATE_KEY"))),
        ),
        agents=(
            Agent("pipeline-agent", declared.agent_label, 2, None),
            Agent("docker-agent", declared.docker_label, 1, None),
            Agent("deploy-agent", declared.deploy_label, 2, _literal(folder) + "/.*"),
        ),
        users=(ADMIN, AUTOMATION, *declared.approver_ids),
        roles=(
            Role("admin", "Administrators: everything, sync included", None,
                 ("Overall/Administer",), users=(ADMIN,)),
            Role("readers", "Everyone signed in sees jobs, builds and logs", None,
                 ("Overall/Read", "Job/Read"), groups=(AUTHENTICATED,)),
            Role("developers", "Everyone signed in may run and stop branch builds",
                 _exactly(build_job.full_name), ("Job/Build", "Job/Cancel"),
                 groups=(AUTHENTICATED,)),
            Role("automation", "The push hook's account: asks both jobs to poll",
                 _exactly(build_job.full_name, deploy_job.full_name), ("Job/Build",),
                 users=(AUTOMATION,)),
            Role("deployers", "The approvers may also start and stop deploys",
                 _exactly(deploy_job.full_name), ("Job/Build", "Job/Cancel"),
                 users=declared.approver_ids),
        ),
    )


def user_password_variable(user: str) -> str:
    """The environment variable a local account's password comes from at start-up."""
    return "JENKINS_" + re.sub(r"[^A-Za-z0-9]", "_", user).upper() + "_PASSWORD"


def _parents(full_name: str) -> tuple[str, ...]:
    """``a/b/job`` -> ``("a", "a/b")``: every folder to create, outermost first."""
    parts = full_name.split("/")[:-1]
    return tuple("/".join(parts[:depth]) for depth in range(1, len(parts) + 1))


def _exactly(*names: str) -> str:
    """A role pattern matching exactly these item full names."""
    return "|".join(_literal(name) for name in names)


def _literal(text: str) -> str:
    """``text`` as a Java regular expression matching only itself."""
    return re.sub(r"([.\[\]{}()*+?^$|\\])", r"\\\1", text)
