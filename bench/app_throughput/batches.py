"""How many visits shared each statement in a run: the app's ``app_visit_batch_size``.

The app counts its visits in batches (app/batches.py); the histogram's sum and count, read from
``/metrics`` before and after a run, give the visits per statement of that run alone. A server
without the histogram (the legacy app) or without ``/metrics`` has no figure.
"""
import urllib.error
import urllib.request
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

HISTOGRAM = "app_visit_batch_size"


@dataclass(frozen=True)
class Batches:
    """The histogram's running totals: visits counted, and statements that counted them."""

    visits: float
    statements: float

    def __sub__(self, earlier: "Batches") -> "Batches":
        return Batches(self.visits - earlier.visits, self.statements - earlier.statements)

    def visits_per_statement(self) -> float | None:
        return self.visits / self.statements if self.statements else None


def parse(text: str) -> Batches | None:
    """The histogram's totals in Prometheus' text format, or None when it is not there."""
    for family in text_string_to_metric_families(text):
        if family.name == HISTOGRAM:
            values = {sample.name: sample.value for sample in family.samples}
            return Batches(values[f"{HISTOGRAM}_sum"], values[f"{HISTOGRAM}_count"])
    return None


def read_batches(base_url: str) -> Batches | None:
    """The totals of the server at ``base_url``, or None when it does not say."""
    try:
        with urllib.request.urlopen(f"{base_url}/metrics", timeout=10) as response:
            return parse(response.read().decode())
    except urllib.error.HTTPError:
        return None
