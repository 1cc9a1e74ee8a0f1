"""app/gunicorn.conf.py: settings from the environment, and its hooks (gunicorn runs the file)."""
import os
import runpy
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from app import create_app
from bench.app_throughput.gunicorn_server import GunicornServer
from bench.ports import free_port
from tests.app.conftest import BUILD_ENV, migrate_to
from tests.app.metrics_text import sample
from tests.support.load import ask

CONFIG = Path(__file__).resolve().parents[2] / "app" / "gunicorn.conf.py"


def load(monkeypatch: pytest.MonkeyPatch, **environ: str) -> dict[str, Any]:
    for name in ("GUNICORN_BIND", "GUNICORN_WORKERS", "WEB_CONCURRENCY", "GUNICORN_THREADS",
                 "GUNICORN_GRACEFUL_TIMEOUT", "GUNICORN_KEEPALIVE", "LOG_LEVEL",
                 "PROMETHEUS_MULTIPROC_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    config = load(monkeypatch)
    assert config["bind"] == ["0.0.0.0:8000"]
    assert (config["workers"], config["threads"], config["graceful_timeout"]) == (2, 16, 30)
    assert config["keepalive"] == 75
    assert (config["accesslog"], config["loglevel"]) == ("-", "info")


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    config = load(monkeypatch, GUNICORN_BIND="127.0.0.1:9000", WEB_CONCURRENCY="3",
                  GUNICORN_THREADS="8", GUNICORN_GRACEFUL_TIMEOUT="5", GUNICORN_KEEPALIVE="90",
                  LOG_LEVEL="WARNING")
    assert config["bind"] == ["127.0.0.1:9000"]
    assert (config["workers"], config["threads"], config["graceful_timeout"]) == (3, 8, 5)
    assert config["keepalive"] == 90
    assert config["loglevel"] == "warning"


def test_gunicorn_workers_wins_over_web_concurrency(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load(monkeypatch, GUNICORN_WORKERS="5", WEB_CONCURRENCY="3")["workers"] == 5


@pytest.mark.parametrize("value", ["0", "many", "-2"])
def test_a_bad_number_stops_gunicorn_with_one_line(monkeypatch: pytest.MonkeyPatch,
                                                   value: str) -> None:
    with pytest.raises(SystemExit) as raised:
        load(monkeypatch, GUNICORN_WORKERS=value)
    assert str(raised.value) == (
        f"gunicorn.conf.py: GUNICORN_WORKERS must be an integer >= 1, got {value!r}")


def test_the_proxy_closes_idle_pooled_connections_before_the_app_does(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A pooled connection the app closes first can be handed a request as it closes: a 502."""
    roles = CONFIG.parents[1] / "pipeline" / "ansible" / "roles"
    defaults = yaml.safe_load((roles / "proxy" / "defaults" / "main.yml").read_text())
    timeouts = [defaults["proxy_upstream_keepalive_timeout"]]
    inventories = CONFIG.parents[1] / "ansible" / "inventories"
    for inventory in sorted(inventories.glob("*/group_vars/all/*.yml")):
        settings = yaml.safe_load(inventory.read_text()) or {}
        assert "GUNICORN_KEEPALIVE" not in str(settings.get("app_env", "")), inventory
        timeouts.append(settings.get("proxy_upstream_keepalive_timeout", timeouts[0]))
    assert max(timeouts) < load(monkeypatch)["keepalive"]


def test_on_starting_clears_stale_metrics_and_checks_the_app(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    stale = tmp_path / "counter_123.db"
    stale.write_bytes(b"old")
    config = load(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'visitors.db'}")
    config["on_starting"](None)
    assert not stale.exists()
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "lots")
    with pytest.raises(RuntimeError, match="^configuration error: TRUSTED_PROXY_HOPS must be"):
        config["on_starting"](None)


def test_without_a_metrics_dir_on_starting_makes_one_the_workers_inherit(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The image sets no PROMETHEUS_MULTIPROC_DIR (the library's template is generic)."""
    config = load(monkeypatch, PROMETHEUS_MULTIPROC_DIR="")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'visitors.db'}")
    config["on_starting"](None)
    made = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    assert made.is_dir() and made.parent == tmp_path and made.name.startswith("app-metrics-")


def test_child_exit_marks_the_worker_dead(monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    live_gauge = tmp_path / "gauge_livesum_4242.db"
    live_gauge.write_bytes(b"")
    config = load(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))

    class Worker:
        pid = 4242

    config["child_exit"](None, Worker())
    assert not live_gauge.exists()


@pytest.mark.slow
def test_gunicorn_opens_no_control_socket(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "XDG_RUNTIME_DIR": str(home),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'visitors.db'}"}

    with GunicornServer(env, workers=1, threads=1) as server:
        assert list(home.iterdir()) == []
    assert "control socket" not in server.log().lower()


@pytest.mark.slow
def test_without_a_metrics_dir_the_workers_count_into_one_the_master_makes(
        postgres_url: str, tmp_path: Path) -> None:
    """The library's image sets no PROMETHEUS_MULTIPROC_DIR: gunicorn's master makes one before
    anything imports prometheus_client, so a page view shows in /metrics whichever worker
    answers."""
    port = free_port()
    env = {name: value for name, value in os.environ.items()
           if name != "PROMETHEUS_MULTIPROC_DIR"}
    env |= {"DATABASE_URL": postgres_url, "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "2", **BUILD_ENV}
    migrate_to(create_app(env))
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", str(CONFIG),
                               "app:create_app()"], cwd=CONFIG.parents[1], env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while ask(f"{url}/healthz")[0] != 200:
            assert time.monotonic() < deadline and server.poll() is None, \
                (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.2)
        for _ in range(4):
            assert ask(f"{url}/")[0] == 200
        status, metrics = ask(f"{url}/metrics")
        assert status == 200
        assert sample(metrics,
                      'app_http_requests_total{endpoint="/",method="GET",status="200"}') == 4.0
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
