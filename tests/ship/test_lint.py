"""The images and playbooks pass their linters: hadolint, and ansible-lint's production profile."""
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_dockerfiles_are_hadolint_clean() -> None:
    base_images = REPO_ROOT / "pipeline" / "ansible" / "roles" / "base_images" / "files"
    dockerfiles = [REPO_ROOT / "pipeline" / "templates" / "Dockerfile",
                   *sorted(base_images.glob("*/Dockerfile"))]
    result = subprocess.run([str(BIN / "hadolint"), *map(str, dockerfiles)], text=True,
                            capture_output=True, check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_playbooks_and_roles_pass_ansible_lint_production() -> None:
    result = subprocess.run([str(BIN / "ansible-lint"), "--nocolor"],
                            cwd=REPO_ROOT / "pipeline" / "ansible", text=True,
                            capture_output=True, check=False, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "Profile 'production' was required, and it passed" in result.stderr
