"""Which paths answer the deploy's checks, read from the app's routes.

A deploy needs a liveness path and a way to tell which build runs. A service written before
the pipeline rarely has ``/healthz``: then the version path, which answers without the
database, is the best liveness the service already offers, and ``/`` the last resort. Its
metrics are scraped only where it has some: a ``/metrics`` route, or a Prometheus library that
serves one.
"""
import re
from dataclasses import dataclass
from pathlib import Path

ROUTE = re.compile(r"""\.(?:route|get)\(\s*['"](?P<path>/[^'"]*)['"]""")
DJANGO_PATH = re.compile(r"""\b(?:re_)?path\(\s*r?['"]\^?(?P<path>[^'"$]*)\$?['"]""")
HEALTH_PATHS = ("/healthz", "/health", "/livez", "/ping")
VERSION_PATH = "/version"
VERSION_FIELDS = ("build", "version")
METRICS_PATH = "/metrics"
METRICS_LIBRARIES = ("prometheus_client", "prometheus_flask_exporter", "django_prometheus")


@dataclass(frozen=True)
class Checks:
    """What the routes tell: empty means not found."""

    health_path: str
    version_path: str
    version_field: str
    metrics_path: str


def find_checks(sources: tuple[Path, ...]) -> Checks:
    """The checks the app's routes offer."""
    texts = [path.read_text(encoding="utf-8") for path in sources if path.is_file()]
    routes = {match["path"] for text in texts for match in ROUTE.finditer(text)}
    routes |= {"/" + match["path"] for text in texts for match in DJANGO_PATH.finditer(text)}
    routes |= {route.rstrip("/") for route in routes if route != "/"}
    version_path = VERSION_PATH if VERSION_PATH in routes else ""
    health = next((path for path in HEALTH_PATHS if path in routes), version_path or "/")
    fields = [field for field in VERSION_FIELDS
              if any(re.search(rf"""['"]{field}['"]\s*:""", text) for text in texts)]
    metrics = METRICS_PATH in routes or any(library in text for library in METRICS_LIBRARIES
                                            for text in texts)
    return Checks(health, version_path, fields[0] if version_path and fields else "",
                  METRICS_PATH if metrics else "")
