"""The postgres role's filters (roles/postgres/filter_plugins/postgres_passwords.py) against a
real PostgreSQL and a real psql: a stored SCRAM verifier verifies its password and no other,
and a password quoted for a psql meta-command reaches psql unchanged, whatever it holds."""
import importlib.util
import subprocess
import uuid
from pathlib import Path
from types import ModuleType

import psycopg
import pytest
from psycopg import sql

from bench.app_throughput.pg_cluster import DatabaseServer, find_bin_dir, libpq_url

PLUGIN = (Path(__file__).resolve().parents[2] / "pipeline" / "ansible" / "roles" / "postgres"
          / "filter_plugins" / "postgres_passwords.py")
pytestmark = pytest.mark.tools("postgres")
# Quotes, backslashes, a psql variable's syntax, line breaks, a non-ASCII letter.
AWKWARD = ["plain", "it's", "back\\slash\\'", ":'app_user' :\"x\" \\set", "two\nlines\r", "é$$"]


def plugin() -> ModuleType:
    spec = importlib.util.spec_from_file_location("postgres_passwords", PLUGIN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("password", AWKWARD)
def test_the_stored_verifier_verifies_its_password_only(postgres: DatabaseServer,
                                                        password: str) -> None:
    role = f"filter_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(libpq_url(postgres.admin_url), autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
            sql.Identifier(role), sql.Literal(password)))
        try:
            row = connection.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s",
                                     (role,)).fetchone()
        finally:
            connection.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
    assert row is not None
    verifies = plugin().scram_verifies
    assert verifies(row[0], password)
    assert not verifies(row[0], password + "x")
    assert not verifies("", password)
    assert not verifies("md5" + "0" * 32, password)


def test_a_quoted_password_reaches_psql_unchanged(postgres: DatabaseServer) -> None:
    quoted = plugin().psql_quoted
    script = "".join(f"\\set value {quoted(password)}\nSELECT encode(convert_to(:'value', "
                     f"'UTF8'), 'hex');\n" for password in AWKWARD)
    result = subprocess.run([str(find_bin_dir() / "psql"), libpq_url(postgres.admin_url),
                             "--tuples-only", "--no-align", "--set", "ON_ERROR_STOP=1",
                             "--file", "-"], input=script, text=True, capture_output=True,
                            check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    assert [bytes.fromhex(line).decode() for line in result.stdout.split()] == AWKWARD
