"""A pipeline command a test runs in the checkout writes its reports aside, never into the
checkout's reports/pipeline.json, the record of real runs (tests/conftest.py, audit issue 27)."""
import os
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_command_run_in_the_checkout_records_in_the_sessions_reports_only() -> None:
    environment = f"nosuch{uuid.uuid4().hex[:8]}"
    result = subprocess.run([sys.executable, "-m", "pipeline", "deploy", environment], cwd=ROOT,
                            text=True, capture_output=True, check=False, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"unknown environment '{environment}'" in result.stderr
    checkout_record = ROOT / "reports" / "pipeline.json"
    if checkout_record.exists():
        assert environment not in checkout_record.read_text(encoding="utf-8")
    aside = Path(os.environ["PIPELINE_REPORTS_DIR"]) / "pipeline.json"
    assert environment in aside.read_text(encoding="utf-8")
