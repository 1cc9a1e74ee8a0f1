"""The alert rules: valid for promtool, each firing on a bad series and quiet on a good one."""
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.monitoring.conftest import HERE, ROLE_DIR, render

pytestmark = pytest.mark.tools("promtool")


def alert_rules(rules_dir: Path) -> list[dict[str, Any]]:
    """Every alerting rule of the rendered rules file."""
    groups = yaml.safe_load((rules_dir / "monitoring.rules.yml").read_text(encoding="utf-8"))
    return [rule for group in groups["groups"] for rule in group["rules"] if "alert" in rule]


def test_rules_pass_promtool_check(promtool: str, rules_dir: Path) -> None:
    result = subprocess.run([promtool, "check", "rules", "monitoring.rules.yml"], cwd=rules_dir,
                            text=True, capture_output=True, check=False, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_rules_unit_tests_pass(promtool: str, rules_dir: Path) -> None:
    result = subprocess.run([promtool, "test", "rules", "rules_test.yml"], cwd=rules_dir,
                            text=True, capture_output=True, check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_unit_tests_fail_when_a_threshold_is_lost(promtool: str, rules_dir: Path,
                                                  tmp_path: Path) -> None:
    """The unit tests can fail: an error ratio threshold of 50% leaves 9% errors quiet."""
    rules = (rules_dir / "monitoring.rules.yml").read_text(encoding="utf-8")
    (tmp_path / "monitoring.rules.yml").write_text(rules.replace("> 0.05", "> 0.5"),
                                                   encoding="utf-8")
    (tmp_path / "rules_test.yml").write_text((HERE / "rules_test.yml").read_text("utf-8"),
                                             encoding="utf-8")
    result = subprocess.run([promtool, "test", "rules", "rules_test.yml"], cwd=tmp_path,
                            text=True, capture_output=True, check=False, timeout=120)
    assert result.returncode != 0
    assert "ServiceHighErrorRatio" in result.stdout + result.stderr


def test_every_alert_has_severity_summary_and_runbook(rules_dir: Path) -> None:
    for rule in alert_rules(rules_dir):
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert rule["annotations"]["runbook_url"].endswith(f"#{rule['alert'].lower()}")


def test_every_alert_has_a_runbook_section_in_the_readme(rules_dir: Path) -> None:
    readme = (ROLE_DIR / "README.md").read_text(encoding="utf-8")
    headings = {re.sub(r"[^a-z0-9-]", "", line.lstrip("#").strip().lower().replace(" ", "-"))
                for line in readme.splitlines() if line.startswith("#")}
    for rule in alert_rules(rules_dir):
        assert rule["alert"].lower() in headings, f"README has no runbook for {rule['alert']}"


def test_every_alert_is_shown_firing_and_quiet(rules_dir: Path) -> None:
    """Each alert of the rules appears in the unit tests once expected and once not."""
    tests = yaml.safe_load((HERE / "rules_test.yml").read_text(encoding="utf-8"))["tests"]
    checks = [check for test in tests for check in test["alert_rule_test"]]
    for name in {rule["alert"] for rule in alert_rules(rules_dir)}:
        outcomes = {bool(check["exp_alerts"]) for check in checks if check["alertname"] == name}
        assert outcomes == {True, False}, f"{name}: fires and stays quiet in the unit tests"


def test_a_service_without_request_metrics_gets_no_rule_that_reads_them(
        promtool: str, tmp_path: Path) -> None:
    """No metrics_requests_counter nor metrics_latency_histogram: no error-ratio or latency
    rule (they would watch a metric nobody exposes); the others, mixed builds included (it
    reads the library's own release records), are there and valid."""
    render("rules/monitoring.rules.yml.j2", tmp_path / "monitoring.rules.yml")
    names = {rule["alert"] for rule in alert_rules(tmp_path)}
    assert names.isdisjoint({"ServiceHighErrorRatio", "ServiceHighLatency"})
    assert {"ServiceDown", "ServiceMixedBuilds", "BackupTooOld", "TargetDown"} <= names
    result = subprocess.run([promtool, "check", "rules", "monitoring.rules.yml"], cwd=tmp_path,
                            text=True, capture_output=True, check=False, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
