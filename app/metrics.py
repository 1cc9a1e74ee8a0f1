"""Prometheus metrics: requests by endpoint and status, latency, visits counted.

Under gunicorn each worker is a process with its own counters; when PROMETHEUS_MULTIPROC_DIR
is set, prometheus_client keeps them in files there and ``/metrics`` sums all workers (the
gunicorn config removes a dead worker's live gauges and clears the directory at start).
"""
import time

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter,
                               Histogram, generate_latest, multiprocess)

from app.settings import current_settings

REQUESTS = Counter("app_http_requests", "HTTP requests answered, by endpoint and status.",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("app_http_request_duration_seconds",
                    "Time from request to response, by endpoint.", ["endpoint"])
VISITS = Counter("app_visits", "Visits counted (one per successful page view).")

blueprint = Blueprint("metrics", __name__)


def endpoint_label() -> str:
    """The matched route's rule, so unknown paths cannot create unbounded label values."""
    return request.url_rule.rule if request.url_rule is not None else "unmatched"


def start_timer() -> None:
    """Remember when the request started."""
    g.metrics_started = time.perf_counter()


def observe(response: Response) -> Response:
    """Count the response and its latency."""
    endpoint = endpoint_label()
    REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    LATENCY.labels(endpoint).observe(time.perf_counter() - g.metrics_started)
    return response


@blueprint.get("/metrics")
def metrics() -> Response:
    """The metrics in Prometheus' text format, summed over all workers in multiprocess mode."""
    settings = current_settings()
    registry = REGISTRY
    if settings.metrics_dir is not None:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(settings.metrics_dir))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def init_metrics(app: Flask) -> None:
    """Time and count every request of ``app`` and serve ``/metrics``."""
    app.before_request(start_timer)
    app.after_request(observe)
    app.register_blueprint(blueprint)
