"""Prometheus metrics, served at ``/metrics``. The names are an interface: dashboards and
alert rules (monitoring/) use them, so they change only with those.

=========================================  =========  ========================================
``app_http_requests_total``                counter    requests answered, by endpoint (the
                                                      route's rule, or ``unmatched``), method
                                                      and status
``app_http_request_duration_seconds``      histogram  request to response, by endpoint
``app_http_requests_in_flight``            gauge      requests being handled now
``app_database_errors_total``              counter    requests that failed on the database
``app_visits_total``                       counter    visits counted
``app_visit_batch_size``                   histogram  visits per statement sent to the database
                                                      (app/batches.py): how much concurrent
                                                      visits share
``visitors_build_info``                    gauge      1, labelled with the version, build and
                                                      commit serving: which build runs where
=========================================  =========  ========================================

Under gunicorn each worker is a process with its own counters; when PROMETHEUS_MULTIPROC_DIR
is set, prometheus_client keeps them in memory-mapped files there (an update is a write to
memory, a few microseconds) and ``/metrics`` sums all workers. The gunicorn config clears the
directory at start and drops a dead worker's in-flight gauge. The build info is the same in
every worker: it is produced at scrape time from the app, never stored.
"""
import time
from typing import Iterable, Iterator

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge,
                               Histogram, generate_latest, multiprocess)
from prometheus_client.metrics_core import InfoMetricFamily, Metric
from prometheus_client.registry import Collector

from app.build_info import BuildInfo
from app.settings import Settings

REQUESTS = Counter("app_http_requests", "HTTP requests answered, by endpoint and status.",
                   ["endpoint", "method", "status"])
# Fine below 50 ms, the page's p99 objective, where this app's answers fall.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LATENCY = Histogram("app_http_request_duration_seconds",
                    "Time from request to response, by endpoint.", ["endpoint"],
                    buckets=LATENCY_BUCKETS)
IN_FLIGHT = Gauge("app_http_requests_in_flight", "Requests being handled now.",
                  multiprocess_mode="livesum")
DATABASE_ERRORS = Counter("app_database_errors",
                          "Requests that failed because the database failed.")
VISITS = Counter("app_visits", "Visits counted (one per successful page view).")
# At most the worker's threads (GUNICORN_THREADS, 4 by default) visit at once.
BATCH_SIZE_BUCKETS = (1, 2, 3, 4, 6, 8, 12, 16, 32, 64)
VISIT_BATCH_SIZE = Histogram("app_visit_batch_size",
                             "Visits counted per statement sent to the database.",
                             buckets=BATCH_SIZE_BUCKETS)

blueprint = Blueprint("metrics", __name__)


class BuildInfoCollector(Collector):
    """``visitors_build_info{version,build,commit} 1`` for the running release."""

    def __init__(self, build: BuildInfo) -> None:
        self.labels = {"version": build.version, "build": str(build.build),
                       "commit": build.commit}

    def collect(self) -> Iterator[Metric]:
        yield InfoMetricFamily("visitors_build", "The release serving: version, build, commit.",
                               value=self.labels)


class ProcessMetrics(Collector):
    """This process's own metrics (prometheus_client's default registry), outside gunicorn."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def scrape_registry(settings: Settings, build: BuildInfo) -> CollectorRegistry:
    """What ``/metrics`` exposes: every worker's metrics (or this process's) and the build."""
    registry = CollectorRegistry()
    if settings.metrics_dir is not None:
        multiprocess.MultiProcessCollector(registry, path=str(settings.metrics_dir))
    else:
        registry.register(ProcessMetrics())
    registry.register(BuildInfoCollector(build))
    return registry


def endpoint_label() -> str:
    """The matched route's rule, so unknown paths cannot create unbounded label values."""
    return request.url_rule.rule if request.url_rule is not None else "unmatched"


def start_request() -> None:
    """Remember when the request started; one more in flight."""
    g.metrics_started = time.perf_counter()
    IN_FLIGHT.inc()


def observe(response: Response) -> Response:
    """Count the response and its latency."""
    endpoint = endpoint_label()
    REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    LATENCY.labels(endpoint).observe(time.perf_counter() - g.metrics_started)
    return response


def end_request(error: BaseException | None) -> None:
    """One fewer in flight, whatever happened to the request."""
    if "metrics_started" in g:
        IN_FLIGHT.dec()


@blueprint.get("/metrics")
def metrics() -> Response:
    """The metrics in Prometheus' text format."""
    registry: CollectorRegistry = current_app.extensions["visitor_metrics"]
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def init_metrics(app: Flask, settings: Settings, build: BuildInfo) -> None:
    """Time and count every request of ``app`` and serve ``/metrics``."""
    app.extensions["visitor_metrics"] = scrape_registry(settings, build)
    app.before_request(start_request)
    app.after_request(observe)
    app.teardown_request(end_request)
    app.register_blueprint(blueprint)
