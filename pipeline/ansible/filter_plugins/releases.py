"""Ansible filter: the one build a rollback returns every app host to (rollback.yml).

Each app host keeps its own history; after a partial rollout they differ, and each host's own
"previous release" would leave the environment on mixed builds. The environment's releases are
every host's records, newest deployed first, each build once: the current release is the newest
one an app host serves, the target the next older one that EVERY host keeps (its image is on
every host), or the build asked for when every host keeps it.
"""
from typing import Any


def _order(histories: list[list[dict[str, Any]]]) -> list[int]:
    """Every recorded build, newest deployed first (the controller stamps deployed_at, so the
    hosts' records share one clock), each build once."""
    records = [record for history in histories for record in history]
    records.sort(key=lambda record: str(record.get("deployed_at", "")), reverse=True)
    return list(dict.fromkeys(int(record["build"]) for record in records))


def rollback_choice(histories: dict[str, list[dict[str, Any]]], serving: dict[str, Any],
                    wanted: Any = None) -> dict[str, Any]:
    """From each app host's history (records, newest first) and the build it serves (-1 for
    none): the target ``build`` (None when there is none), the ``current`` build, each host's
    ``kept`` builds, and ``reason``, one line saying why there is no target."""
    kept = {host: [int(record["build"]) for record in history]
            for host, history in histories.items()}
    order = _order(list(histories.values()))
    served = {int(build) for build in serving.values()}
    current = next((build for build in order if build in served), order[0] if order else None)
    everywhere = [build for build in order if all(build in builds for builds in kept.values())]
    listed = "; ".join(f"{host}: {', '.join(map(str, builds)) or 'none'}"
                       for host, builds in sorted(kept.items()))
    if len(kept) == 1:
        listed = listed.split(": ", 1)[1]
    if wanted is not None:
        build = int(wanted) if int(wanted) in everywhere else None
        reason = (f"no kept release to roll back to with build {wanted} (kept: {listed}): "
                  "every app host must keep it")
    else:
        older = order[order.index(current) + 1:] if current is not None else []
        build = next((candidate for candidate in older if candidate in everywhere), None)
        reason = (f"no kept release to roll back to: none older than build {current} is kept "
                  f"by every app host (kept: {listed})" if current is not None else
                  "no kept release to roll back to: no app host records a release")
    return {"build": build, "current": current, "kept": kept,
            "reason": "" if build is not None else reason}


class FilterModule:
    """The filters of this file, by name."""

    def filters(self) -> dict[str, Any]:
        """``rollback_choice``."""
        return {"rollback_choice": rollback_choice}
