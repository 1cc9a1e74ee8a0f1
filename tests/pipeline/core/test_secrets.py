"""Secrets are masked in everything a stage streams and logs."""
import io
import sys
from pathlib import Path

import pytest

from pipeline.core import proc
from pipeline.core.errors import InputError
from pipeline.core.secrets import mask, secret_values


def test_secret_values_come_from_secret_named_variables_longest_first() -> None:
    environ = {"JENKINS_TOKEN": "abcd", "DB_PASSWORD": "hunter22", "VAULT_PASS": "s3cr3tvault",
               "HOME": "/root", "SHORT_SECRET": "ab"}
    assert secret_values(environ) == ["s3cr3tvault", "hunter22", "abcd"]


def test_mask_replaces_every_occurrence() -> None:
    assert mask("a hunter22 b hunter22", ["hunter22"]) == "a **** b ****"


def test_run_streams_masked_output_and_log(tmp_path: Path) -> None:
    out = io.StringIO()
    log = tmp_path / "logs" / "tool.log"
    script = "import os; print('token is', os.environ['API_TOKEN']); print('done')"
    code = proc.run([sys.executable, "-c", script], env={"API_TOKEN": "t0ps3cret"},
                    log_file=log, out=out)
    assert code == 0
    assert out.getvalue() == "token is ****\ndone\n"
    assert log.read_text() == "token is ****\ndone\n"


def test_run_returns_the_tool_exit_code() -> None:
    assert proc.run([sys.executable, "-c", "raise SystemExit(3)"], out=io.StringIO()) == 3


def test_missing_tool_is_an_input_error() -> None:
    with pytest.raises(InputError, match="cannot run no-such-tool-here"):
        proc.run(["no-such-tool-here"], out=io.StringIO())


def test_a_multi_line_secret_is_masked_line_by_line() -> None:
    key = "-----BEGIN KEY-----\nAAAAB3NzaC1yc2EAAAADAQABAAABAQC\n-----END KEY-----\n"
    secrets = secret_values({"DEPLOY_PRIVATE_KEY": key, "EMPTY_PASSWORD": ""})
    assert "AAAAB3NzaC1yc2EAAAADAQABAAABAQC" in secrets and "" not in secrets
    printed = "".join(mask(line, secrets) for line in key.splitlines(keepends=True))
    assert "AAAAB3Nza" not in printed and "BEGIN KEY" not in printed
    assert mask("an empty password masks nothing", secrets) == "an empty password masks nothing"
