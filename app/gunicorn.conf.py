"""gunicorn settings for the app: ``gunicorn -c app/gunicorn.conf.py 'app:create_app()'``.

Everything that differs between deploys comes from the environment (GUNICORN_BIND,
GUNICORN_WORKERS or WEB_CONCURRENCY, GUNICORN_THREADS, GUNICORN_GRACEFUL_TIMEOUT,
GUNICORN_KEEPALIVE, LOG_LEVEL).
The app itself is built once in the master before any worker starts, so a bad setting stops
gunicorn with one line instead of every worker crashing in a loop.
"""
import os
import sys
import tempfile
from pathlib import Path
from typing import Any


def env_int(name: str, default: int, minimum: int) -> int:
    """An integer setting from the environment; a bad value ends gunicorn with one line."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        sys.exit(f"gunicorn.conf.py: {name} must be an integer >= {minimum}, got {raw!r}")
    return value


bind = [os.environ.get("GUNICORN_BIND", "").strip() or "0.0.0.0:8000"]
workers = env_int("GUNICORN_WORKERS", env_int("WEB_CONCURRENCY", 2, 1), 1)
worker_class = "gthread"
# Threads per worker unless GUNICORN_THREADS says. A worker's concurrent visits share one database
# statement (app/batches.py), so more threads make larger batches, not more connections; and
# the keep-alive connections that pile up on one worker (its threads race the others' to
# accept) still find a free thread. Measured in docs/scaling.md ("More gunicorn workers").
DEFAULT_THREADS = 16
threads = env_int("GUNICORN_THREADS", DEFAULT_THREADS, 1)
# A deploy switches traffic away, then stops the old container: in-flight requests finish first.
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30, 1)
timeout = 30
# Seconds an idle keep-alive connection stays open. The proxy pools its connections to the app
# and closes idle ones after its own timeout (the proxy role's proxy_upstream_keepalive_timeout,
# 60 s): this must be longer, so the proxy is always the side that closes. With gunicorn's 2 s,
# a request the proxy sent on a pooled connection just as gunicorn closed it failed with a 502.
keepalive = env_int("GUNICORN_KEEPALIVE", 75, 1)
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
loglevel = os.environ.get("LOG_LEVEL", "").strip().lower() or "info"
# Nothing manages gunicorn at runtime (a deploy replaces the container). gunicorn 25.1 and later
# would otherwise open a control socket at $XDG_RUNTIME_DIR/gunicorn.ctl or
# $HOME/.gunicorn/gunicorn.ctl: one path for every gunicorn of the user, which the next one
# started takes over, and in the image an error line on every start (the app user cannot write
# its home). Older gunicorns ignore the setting.
control_socket_disable = True


def metrics_dir() -> Path | None:
    """Where prometheus_client's multiprocess mode keeps the workers' metrics, if enabled."""
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    return Path(value) if value else None


def share_metrics_dir() -> Path:
    """PROMETHEUS_MULTIPROC_DIR, made here when unset: a fresh private directory the workers
    inherit. The image is the library's generic template, which knows nothing of this app's
    metrics, so the app provides what its workers share itself."""
    directory = metrics_dir()
    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix="app-metrics-"))
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    return directory


def on_starting(server: Any) -> None:
    """Start from empty metrics and check the configuration once, in the master (before any
    worker forks and before prometheus_client is imported, so both see the metrics dir)."""
    directory = share_metrics_dir()
    from app import ConfigError, create_app  # imports prometheus_client: after the dir is set

    if directory.is_dir():
        for stale in directory.glob("*.db"):
            stale.unlink()
    try:
        create_app()
    except ConfigError as error:
        raise RuntimeError(f"configuration error: {error}") from None


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live gauges from the shared metrics."""
    if metrics_dir() is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
