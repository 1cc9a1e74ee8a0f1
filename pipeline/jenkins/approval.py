"""``jenkins approve|abort``: answer the ``input`` step a build waits at.

Pending inputs are listed by the Pipeline Stage View API (``wfapi/pendingInputActions``);
the answer goes to the input step's own endpoints, ``input/ID/proceedEmpty`` or
``input/ID/abort``. Jenkins itself checks that the user is in the step's submitter list.
"""
import json
from dataclasses import dataclass

import jenkins

from pipeline.core.errors import InputError
from pipeline.jenkins.client import job_path, request, translated
from pipeline.jenkins.settings import ServerSettings


@dataclass(frozen=True)
class PendingInput:
    """An input step waiting for an answer."""

    id: str
    message: str


def pending_inputs(client: jenkins.Jenkins, server: ServerSettings, job: str,
                   number: int) -> list[PendingInput]:
    """The inputs build ``number`` of ``job`` waits at (none when it waits for nothing)."""
    with translated(server, f"build #{number} of job '{job}'"):
        response = request(client, "GET", job_path(job, number) + "wfapi/pendingInputActions")
    return [PendingInput(id=str(item["id"]), message=str(item.get("message", "")))
            for item in json.loads(response.text or "[]")]


def answer(client: jenkins.Jenkins, server: ServerSettings, job: str, number: int,
           approve: bool, input_id: str | None = None) -> PendingInput:
    """Approve or abort the build's pending input (the one named, or the only one)."""
    pending = pending_inputs(client, server, job, number)
    if input_id is not None:
        pending = [item for item in pending if item.id == input_id]
    if not pending:
        named = f" named '{input_id}'" if input_id else ""
        raise InputError(f"build #{number} of '{job}' waits for no approval{named}")
    if len(pending) > 1:
        raise InputError(f"build #{number} of '{job}' waits at several inputs "
                         f"({', '.join(item.id for item in pending)}): name one with --input")
    (chosen,) = pending
    action = "proceedEmpty" if approve else "abort"
    with translated(server, f"approval '{chosen.id}' of build #{number} of '{job}'"):
        request(client, "POST", job_path(job, number) + f"input/{chosen.id}/{action}")
    return chosen
