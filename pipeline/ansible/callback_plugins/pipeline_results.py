"""Ansible callback: the run's failures and per-host totals, as JSON, for the pipeline to read.

Enabled in ansible.cfg; writes to the file named by PIPELINE_ANSIBLE_RESULTS (nothing when it
is unset). For each host that failed or was unreachable it keeps the LAST failure: a block's
rescue ends with its own explicit failure, which says more than the task it rescued. A task
tagged ``input`` checks what the caller asked for (a build, a backup): its failure is the
caller's mistake, which the pipeline reports as bad input.
"""
import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: pipeline_results
type: aggregate
short_description: Write failures and host totals as JSON for the pipeline
description:
  - Writes the failures and per-host totals to the file named by PIPELINE_ANSIBLE_RESULTS.
requirements:
  - the PIPELINE_ANSIBLE_RESULTS environment variable
"""

_CENSORED = "the output has been hidden (no_log)"


class CallbackModule(CallbackBase):
    """Collects failures as they happen and writes them with the totals at the end."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "pipeline_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._path = os.environ.get("PIPELINE_ANSIBLE_RESULTS")
        self._failures = {}

    def _record(self, result, unreachable=False):
        outcome = result._result
        if outcome.get("censored"):
            message = _CENSORED
        else:
            message = outcome.get("msg") or outcome.get("stderr") or outcome.get("reason") or ""
        if isinstance(message, list):
            message = " ".join(str(part) for part in message)
        self._failures[result._host.get_name()] = {
            "host": result._host.get_name(),
            "task": result._task.get_name(),
            "message": " ".join(str(message).split()),
            "unreachable": unreachable,
            "input": "input" in result._task.tags,
        }

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if ignore_errors:
            return
        earlier = self._failures.get(result._host.get_name())
        if result._result.get("results") and earlier and earlier["task"] == result._task.get_name():
            return  # a loop's summary: the failed item, recorded already, says more
        self._record(result)

    def v2_runner_item_on_failed(self, result):
        self._record(result)

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True)

    def v2_playbook_on_stats(self, stats):
        if not self._path:
            return
        hosts = {host: stats.summarize(host) for host in sorted(stats.processed)}
        failed = [failure for host, failure in self._failures.items()
                  if hosts.get(host, {}).get("failures") or hosts.get(host, {}).get("unreachable")]
        with open(self._path, "w", encoding="utf-8") as handle:
            json.dump({"failures": failed, "hosts": hosts}, handle, indent=1)
