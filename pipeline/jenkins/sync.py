"""``jenkins sync``: make the controller's job what setup.cfg says, only when it differs."""
from enum import Enum

import jenkins

from pipeline.jenkins import jobconfig
from pipeline.jenkins.client import translated
from pipeline.jenkins.settings import JobSettings, ServerSettings


class SyncOutcome(Enum):
    """What sync did, so a rerun can be seen to change nothing."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def sync_job(client: jenkins.Jenkins, server: ServerSettings, job: JobSettings) -> SyncOutcome:
    """Create the job, or update it when its config differs from the rendered one."""
    wanted = jobconfig.render(job)
    with translated(server, f"job '{job.job_name}'"):
        if client.get_job_name(job.job_name) is None:
            client.create_job(job.job_name, wanted)
            return SyncOutcome.CREATED
        if jobconfig.same_config(client.get_job_config(job.job_name), wanted):
            return SyncOutcome.UNCHANGED
        client.reconfig_job(job.job_name, wanted)
        return SyncOutcome.UPDATED
