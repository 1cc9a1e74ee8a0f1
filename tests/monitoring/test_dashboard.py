"""The Grafana dashboard and its provisioning files: structure only (Grafana cannot run here).

Every panel's PromQL is evaluated against a real Prometheus in test_stack.py.
"""
import json
import re
from pathlib import Path
from typing import Any

import yaml

from tests.monitoring.conftest import DECLARED_METRICS, ROLE_DIR, render

DASHBOARD = ROLE_DIR / "files" / "grafana" / "dashboards" / "monitoring.json"
TEMPLATES = ROLE_DIR / "templates" / "grafana"
# What the dashboard must show, by panel title.
REQUIRED_TITLES = {"Requests per second by status", "5xx error ratio", "Latency percentiles",
                   "Build per host", "Latest deploy per host", "CPU busy", "Memory used",
                   "Disk used", "PostgreSQL up", "Connections and their limit"}


# The placeholders the role replaces with the service's declared request metrics.
PLACEHOLDERS = ("SERVICE_REQUESTS_COUNTER", "SERVICE_LATENCY_HISTOGRAM")


def load_dashboard(path: Path = DASHBOARD) -> dict[str, Any]:
    """The dashboard JSON (by default the role's file, its placeholders in place)."""
    return dict(json.loads(path.read_text(encoding="utf-8")))


def query_panels(dashboard: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every panel that queries Prometheus (rows only group them)."""
    return [panel for panel in (dashboard or load_dashboard())["panels"]
            if panel["type"] != "row"]


def provisioning(name: str) -> dict[str, Any]:
    """A provisioning template read as YAML, its Jinja expressions blanked."""
    text = re.sub(r"\{\{.*?\}\}", "x", (TEMPLATES / name).read_text(encoding="utf-8"))
    return dict(yaml.safe_load(text))


def test_dashboard_has_identity_and_environment_variable() -> None:
    dashboard = load_dashboard()
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 36
    variables = {item["name"]: item for item in dashboard["templating"]["list"]}
    assert "label_values(up, environment)" in variables["environment"]["definition"]


def test_panels_have_unique_ids_and_do_not_overlap() -> None:
    panels = load_dashboard()["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        mine = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                for y in range(grid["y"], grid["y"] + grid["h"])}
        assert not mine & cells, f"{panel['title']} overlaps another panel"
        cells |= mine


def test_every_query_names_the_provisioned_datasource_and_environment() -> None:
    uid = provisioning("datasource.yml.j2")["datasources"][0]["uid"]
    for panel in query_panels():
        assert panel["datasource"]["uid"] == uid, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == uid, panel["title"]
            assert 'environment="$environment"' in target["expr"], panel["title"]


def test_dashboard_shows_what_the_issue_asks_for() -> None:
    titles = {panel["title"] for panel in query_panels()}
    assert REQUIRED_TITLES <= titles, REQUIRED_TITLES - titles


def test_deploys_are_annotations_at_their_own_time() -> None:
    annotations = load_dashboard()["annotations"]["list"]
    deploys = [item for item in annotations if "pipeline_deploy_timestamp_seconds" in item["expr"]]
    assert len(deploys) == 1
    assert deploys[0]["useValueForTime"] is True
    assert deploys[0]["expr"].endswith("* 1000"), "Grafana wants the time in milliseconds"


def test_dashboard_provider_reads_the_folder_the_dashboard_goes_to() -> None:
    provider = provisioning("dashboards.yml.j2")["providers"][0]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards/pipeline"


def test_the_dashboard_names_the_service_s_declared_request_metrics(tmp_path: Path) -> None:
    render("grafana/dashboard.json.j2", tmp_path / "monitoring.json", *DECLARED_METRICS)
    text = (tmp_path / "monitoring.json").read_text(encoding="utf-8")
    assert not any(placeholder in text for placeholder in PLACEHOLDERS)
    assert "http_requests_total{" in text and "http_request_duration_seconds_bucket{" in text
    rendered = load_dashboard(tmp_path / "monitoring.json")
    assert {panel["title"] for panel in query_panels(rendered)} == {
        panel["title"] for panel in query_panels()}
    assert rendered["uid"] == load_dashboard()["uid"]


def test_a_service_without_request_metrics_gets_no_panel_that_reads_them(
        tmp_path: Path) -> None:
    render("grafana/dashboard.json.j2", tmp_path / "monitoring.json")
    rendered = load_dashboard(tmp_path / "monitoring.json")
    titles = {panel["title"] for panel in query_panels(rendered)}
    assert not any(placeholder in json.dumps(rendered) for placeholder in PLACEHOLDERS)
    assert titles.isdisjoint({"Requests per second by status", "5xx error ratio",
                              "Latency percentiles"})
    assert {"Build per host", "Latest deploy per host", "CPU busy", "PostgreSQL up"} <= titles
