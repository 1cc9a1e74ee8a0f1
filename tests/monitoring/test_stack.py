"""The monitoring role on a real stack: targets up, records, dashboard queries, alerts.

Slow: builds the project's app image, runs the role twice (the second run must change
nothing), and waits for a real alert through Prometheus and Alertmanager to a webhook.
"""
import json
import re
import shutil
import socket
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import docker
import pytest

from tests.support.stack import REPO_ROOT
from tests.monitoring.stack import ENVIRONMENT, INTERVALS, MonitoringStack
from tests.monitoring.test_dashboard import load_dashboard, query_panels

pytestmark = pytest.mark.slow
# Panels that must show data on any running stack (others need traffic or records it lacks).
CORE_PANELS = {"Requests per second by status", "5xx error ratio", "Latency percentiles",
               "Service targets up", "Latest deploy per host", "CPU busy", "Memory used",
               "Disk used", "Newest backup age", "Proxy connections", "PostgreSQL up",
               "Connections and their limit", "Transactions per second"}

# A rules group an older release of the role left, under a file name it no longer writes.
STALE_GROUP = "left-by-an-older-role"

# Grafana's $__rate_interval here: long enough to keep the test's burst of traffic in view.
RATE_WINDOW = "5m"


def seconds(duration: str) -> float:
    """A Prometheus duration like 5s or 1m, in seconds."""
    number, unit = re.fullmatch(r"(\d+)([smh])", duration).groups()  # type: ignore[union-attr]
    return int(number) * {"s": 1, "m": 60, "h": 3600}[unit]


@pytest.fixture(scope="module")
def stack(provisioned: None) -> Iterator[MonitoringStack]:  # noqa: F811
    """The monitored stack, provisioned twice by the role; destroyed afterwards."""
    (REPO_ROOT / "build").mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="monitoring-", dir=REPO_ROOT / "build"))
    target = MonitoringStack(workdir)
    try:
        target.write_inventory()
        target.write_stale_files(STALE_GROUP)
        target.start_watched_services()
        for run in ("first", "second"):
            result = target.playbook()
            assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
            setattr(target, f"{run}_run", result.stdout)
        yield target
    finally:
        target.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


def test_a_rules_file_the_role_no_longer_writes_is_removed(stack: MonitoringStack) -> None:
    """An older release of the role's rules, under another name, would keep its alerts."""
    rules = stack.state_dir / "monitoring" / "prometheus" / "rules"
    assert sorted(path.name for path in rules.iterdir()) == ["monitoring.rules.yml"]
    groups = stack.query_api("/api/v1/rules")["groups"]
    assert STALE_GROUP not in {group["name"] for group in groups}
    grafana = sorted(path.relative_to(stack.grafana_dir).as_posix()
                     for path in stack.grafana_dir.rglob("*") if path.is_file())
    assert grafana == ["dashboards/monitoring.json", "provisioning/dashboards/monitoring.yml",
                       "provisioning/datasources/monitoring.yml"]


def test_second_run_changes_nothing(stack: MonitoringStack) -> None:
    recap = re.search(r"localhost\s+: ok=\d+\s+changed=(\d+)", getattr(stack, "second_run"))
    assert recap is not None and recap.group(1) == "0", getattr(stack, "second_run")[-3000:]


def test_the_database_password_never_reaches_the_output(stack: MonitoringStack) -> None:
    for run in ("first_run", "second_run"):
        assert stack.variables["db_password"] not in getattr(stack, run)
    logs = docker.from_env().containers.get(f"{stack.name}-postgres-exporter").logs()
    assert stack.variables["db_password"].encode() not in logs


def test_every_target_is_scraped(stack: MonitoringStack) -> None:
    expected = {"prometheus", "alertmanager", "app", "node", "postgres", "nginx"}
    deadline = time.monotonic() + 60
    while True:
        jobs = {series["metric"]["job"]
                for series in stack.query(f'up{{environment="{ENVIRONMENT}"}} == 1')}
        if jobs == expected or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert jobs == expected
    assert stack.query("pg_up")[0]["value"][1] == "1", "the exporter logs in to PostgreSQL"


def test_prometheus_and_alertmanager_listen_on_the_private_address_only(
        stack: MonitoringStack) -> None:
    gateway = docker.from_env().networks.get(stack.name).attrs["IPAM"]["Config"][0]["Gateway"]
    for service in ("prometheus", "alertmanager", "node_exporter", "nginx_exporter"):
        with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
            probe.settimeout(5)
            probe.connect((gateway, stack.ports[service]))


def test_prometheus_keeps_its_data_on_a_volume_with_retention(stack: MonitoringStack) -> None:
    container = docker.from_env().containers.get(f"{stack.name}-prometheus")
    mounts = {mount["Destination"]: mount for mount in container.attrs["Mounts"]}
    assert mounts["/prometheus"]["Type"] == "volume"
    assert mounts["/prometheus"]["Name"] == f"{stack.name}-prometheus-data"
    assert "--storage.tsdb.retention.time=15d" in container.attrs["Args"]


def test_a_release_target_file_readable_only_after_it_appears_is_still_scraped(
        stack: MonitoringStack) -> None:
    """What Ansible's copy does to a new file: renamed into place unreadable to Prometheus'
    user, its mode set a moment later. Prometheus ignores the mode change; its re-read
    (monitoring_app_targets_refresh_interval) must still find the release."""
    targets = Path(stack.variables["stack_dir"]) / "monitoring" / "prometheus" / "targets"
    errors = 'prometheus_sd_file_read_errors_total{job="prometheus"}'
    before = float(stack.wait_for_query(errors)[0]["value"][1])
    staged = targets.parent / "app-late.json.tmp"
    staged.write_text(json.dumps([{"targets": [stack.variables["app_metrics_target"]],
                                   "labels": {"instance": "late"}}]), encoding="utf-8")
    staged.chmod(0o600)
    try:
        staged.rename(targets / "app-late.json")
        stack.wait_for_query(f"{errors} > {before}")  # Prometheus tried, and could not read it
        (targets / "app-late.json").chmod(0o644)
        stack.wait_for_query('up{job="app", instance="late"} == 1',
                             timeout=seconds(INTERVALS["monitoring_app_targets_refresh_interval"])
                             + 15)
    finally:
        (targets / "app-late.json").unlink(missing_ok=True)
        staged.unlink(missing_ok=True)


def test_record_deploy_and_backup_reach_prometheus(stack: MonitoringStack) -> None:
    release = {"monitoring_deploy_kind": "rollback", "app_release_build": 12,
               "app_release_version": "0.1.0+build.12", "deploy_holder": 'Ann "ops" O\'Neil'}
    result = stack.include_role("record_deploy", release)
    assert result.returncode == 0, result.stdout + result.stderr
    result = stack.include_role("record_backup", {})
    assert result.returncode == 0, result.stdout + result.stderr
    deploy = stack.wait_for_query('pipeline_deploy_timestamp_seconds{build="12"}')
    assert deploy[0]["metric"] | {"__name__": "x"} == {
        "__name__": "x", "environment": ENVIRONMENT, "kind": "rollback", "build": "12",
        "version": "0.1.0+build.12", "by": 'Ann "ops" O\'Neil', "job": "node",
        "instance": "localhost"}
    assert abs(float(deploy[0]["value"][1]) - time.time()) < 120
    served = stack.wait_for_query('pipeline_release_info{build="12"}')
    assert served[0]["metric"] | {"__name__": "x"} == {
        "__name__": "x", "environment": ENVIRONMENT, "build": "12", "version": "0.1.0+build.12",
        "job": "node", "instance": "localhost"}
    backup = stack.wait_for_query("time() - pipeline_backup_last_success_timestamp_seconds")
    assert float(backup[0]["value"][1]) < 120


def test_record_deploy_refuses_an_unknown_kind(stack: MonitoringStack) -> None:
    record = Path(stack.variables["stack_dir"]) / "monitoring" / "textfile" / "pipeline_deploy.prom"
    before = record.read_text(encoding="utf-8") if record.exists() else None
    result = stack.include_role("record_deploy", {
        "monitoring_deploy_kind": "upgrade", "app_release_build": 13,
        "app_release_version": "0.1.0+build.13", "deploy_holder": "ann"})
    assert result.returncode != 0
    assert "monitoring_deploy_kind" in result.stdout + result.stderr
    assert (record.read_text(encoding="utf-8") if record.exists() else None) == before


def visit(stack: MonitoringStack, count: int) -> None:
    """View the app's page ``count`` times."""
    for _ in range(count):
        with urllib.request.urlopen(f"http://127.0.0.1:{stack.ports['app']}/", timeout=10) as page:
            page.read()


def panel_queries(stack: MonitoringStack) -> list[tuple[str, str]]:
    """(panel title, PromQL) of every panel and annotation of the dashboard the role wrote,
    Grafana's variables filled in."""
    dashboard = load_dashboard(stack.grafana_dir / "dashboards" / "monitoring.json")
    queries = [(panel["title"], target["expr"]) for panel in query_panels(dashboard)
               for target in panel["targets"]]
    queries += [(item["name"], item["expr"]) for item in dashboard["annotations"]["list"]]
    grafana = {"$environment": ENVIRONMENT, "$__rate_interval": RATE_WINDOW}
    for variable, value in grafana.items():
        queries = [(title, expr.replace(variable, value)) for title, expr in queries]
    return queries


def test_every_dashboard_query_evaluates_and_core_panels_show_data(
        stack: MonitoringStack) -> None:
    stack.include_role("record_deploy", {
        "monitoring_deploy_kind": "deploy", "app_release_build": 1,
        "app_release_version": "0.1.0+build.1", "deploy_holder": "monitoring test"})
    stack.include_role("record_backup", {})
    # Two bursts of page views: a counter's first sample has no increase to show yet.
    visit(stack, 1)
    stack.wait_for_query('app_http_requests_total{endpoint="/"}')
    visit(stack, 20)
    stack.wait_for_query(f'sum(rate(app_http_requests_total{{endpoint="/"}}[{RATE_WINDOW}])) > 0')
    empty = []
    for title, expr in panel_queries(stack):
        result = stack.query(expr)
        if not result:
            empty.append(title)
    assert not CORE_PANELS & set(empty), f"core panels without data: {CORE_PANELS & set(empty)}"


def test_app_down_alert_reaches_the_webhook_then_resolves(stack: MonitoringStack,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    """Stop the app: ServiceDown reaches the webhook no sooner than its `for` after the
    stop began, and within `for` plus the scrape interval, one evaluation and Alertmanager's
    group_wait (and slack) after the container exited; start it: the resolution arrives."""
    app = docker.from_env().containers.get(stack.app_container)
    wait = seconds(INTERVALS["monitoring_alert_app_down_for"])
    bound = wait + sum(seconds(INTERVALS[key]) for key in
                       ("monitoring_scrape_interval", "monitoring_evaluation_interval",
                        "monitoring_alertmanager_group_wait"))
    stopping = time.monotonic()
    app.stop(timeout=10)
    stopped = time.monotonic()
    fired = stack.webhook.wait_for("ServiceDown", "firing", timeout=bound + 30)
    app.start()
    started = time.monotonic()
    resolved = stack.webhook.wait_for("ServiceDown", "resolved", timeout=60)
    figures: dict[str, Any] = {"stop_took_s": round(stopped - stopping, 1),
                               "stop_requested_to_firing_s": round(fired - stopping, 1),
                               "stopped_to_firing_s": round(fired - stopped, 1),
                               "started_to_resolved_s": round(resolved - started, 1),
                               "bound_s": bound}
    with capsys.disabled():
        print(f"\nServiceDown: {json.dumps(figures)}")
    assert wait <= fired - stopping, figures
    assert fired - stopped <= bound + 5, figures
