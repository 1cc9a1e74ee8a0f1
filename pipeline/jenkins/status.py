"""``jenkins status``: the last builds of a job, their results and the versions they built.

The Jenkinsfile names each deploy build after its version, so ``displayName`` is the version.
"""
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

import jenkins

from pipeline.jenkins.client import translated
from pipeline.jenkins.settings import ServerSettings


@dataclass(frozen=True)
class BuildSummary:
    """One line of the status table."""

    number: int
    result: str
    name: str
    started: datetime


def recent_builds(client: jenkins.Jenkins, server: ServerSettings, job: str,
                  limit: int = 10) -> list[BuildSummary]:
    """The newest ``limit`` builds of ``job``, newest first."""
    with translated(server, f"job '{job}'"):
        builds = client.get_job_info(job).get("builds") or []
        summaries = []
        for build in builds[:limit]:
            info = client.get_build_info(job, build["number"])
            started = datetime.fromtimestamp(info.get("timestamp", 0) / 1000, timezone.utc)
            summaries.append(BuildSummary(
                number=int(info["number"]),
                result=info.get("result") or ("RUNNING" if info.get("building") else "UNKNOWN"),
                name=str(info.get("displayName") or f"#{info['number']}"),
                started=started))
    return summaries


def format_table(job: str, summaries: list[BuildSummary]) -> str:
    """A plain table for the console."""
    if not summaries:
        return f"{job}: no builds yet"
    lines = [f"{job}: last {len(summaries)} build(s)",
             f"{'BUILD':>6}  {'RESULT':<9}  {'STARTED':<20}  VERSION"]
    lines += [f"{summary.number:>6}  {summary.result:<9}  "
              f"{summary.started.strftime('%Y-%m-%d %H:%M UTC'):<20}  {summary.name}"
              for summary in summaries]
    return "\n".join(lines)


def format_json(job: str, summaries: list[BuildSummary]) -> str:
    """One JSON object for scripts: the job and its builds, newest first, times in ISO 8601."""
    builds = [{**asdict(summary), "started": summary.started.isoformat()}
              for summary in summaries]
    return json.dumps({"job": job, "builds": builds})
