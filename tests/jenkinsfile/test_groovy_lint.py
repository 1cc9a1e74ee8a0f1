"""npm-groovy-lint (CodeNarc with Jenkinsfile rules) finds no error and no warning."""
import json
import os
import subprocess

import pytest

from tests.jenkinsfile.conftest import HERE, JENKINSFILE, java_home

LINTER = HERE / "node_modules" / ".bin" / "npm-groovy-lint"


@pytest.mark.slow
@pytest.mark.tools("java", "npm")
def test_npm_groovy_lint_reports_no_error_or_warning() -> None:
    if not LINTER.exists():
        pytest.fail(f"{LINTER} is missing: npm ci --prefix {HERE} (`make setup` does)")
    completed = subprocess.run(
        [str(LINTER), "--noserver", "--output", "json", "--failon", "warning", str(JENKINSFILE)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "JAVA_HOME": java_home()})
    report = json.loads(completed.stdout)
    findings = [f"{error['line']}: {error['rule']} {error['msg']}"
                for file in report["files"].values() for error in file["errors"]
                if error["severity"] in ("error", "warning")]
    assert findings == []
    assert completed.returncode == 0, completed.stderr
