"""``jenkins sync``: make the controller's folders and jobs what the definition says, only where
they differ."""
from enum import Enum

import jenkins

from pipeline.jenkins import jobconfig
from pipeline.jenkins.client import translated
from pipeline.jenkins.definition import Definition
from pipeline.jenkins.settings import ServerSettings


class SyncOutcome(Enum):
    """What sync did to one item, so a rerun can be seen to change nothing."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    KEPT = "kept as it is (its credentials live only on the controller)"


def sync(client: jenkins.Jenkins, server: ServerSettings,
         definition: Definition) -> list[tuple[str, SyncOutcome]]:
    """Create missing folders (never rewrite one: that would drop its credentials), then create
    each job, or update it when its config differs from the rendered one."""
    outcomes = []
    for folder in definition.folders:
        with translated(server, f"folder '{folder}'"):
            if client.get_job_name(folder) is None:
                client.create_job(folder, jobconfig.render_folder())
                outcomes.append((folder, SyncOutcome.CREATED))
            else:
                outcomes.append((folder, SyncOutcome.KEPT))
    for job in definition.jobs:
        wanted = jobconfig.render_job(job)
        with translated(server, f"job '{job.full_name}'"):
            if client.get_job_name(job.full_name) is None:
                client.create_job(job.full_name, wanted)
                outcomes.append((job.full_name, SyncOutcome.CREATED))
            elif jobconfig.same_config(client.get_job_config(job.full_name), wanted):
                outcomes.append((job.full_name, SyncOutcome.UNCHANGED))
            else:
                client.reconfig_job(job.full_name, wanted)
                outcomes.append((job.full_name, SyncOutcome.UPDATED))
    return outcomes
