"""Every alert the monitoring role defines has its section in docs/runbooks.md."""
import re
from pathlib import Path

from tests.docs.markdown import anchors

REPO_ROOT = Path(__file__).resolve().parents[2]
RULES = REPO_ROOT / "pipeline/ansible/roles/monitoring/templates/rules/monitoring.rules.yml.j2"


def test_every_alert_has_a_runbook_section() -> None:
    alerts = re.findall(r"^\s*- alert: (\w+)\s*$", RULES.read_text(encoding="utf-8"), re.M)
    assert len(alerts) >= 10
    sections = anchors(REPO_ROOT / "docs" / "runbooks.md")
    missing = [alert for alert in alerts if alert.lower() not in sections]
    assert not missing, f"alerts without a section in docs/runbooks.md: {', '.join(missing)}"
