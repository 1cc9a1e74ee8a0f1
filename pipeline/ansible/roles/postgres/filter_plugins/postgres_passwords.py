"""Filters of the postgres role: does a role's stored password still match, and how a secret
reaches psql on its standard input (never in a process's arguments).

Provision sets a role's password only when the one PostgreSQL stores (a SCRAM verifier in
pg_authid) does not verify the inventory's: a changed password in the vault changes the role's,
an unchanged one changes nothing, and the password never has to be compared in SQL.
"""
import base64
import hashlib
import hmac
from typing import Callable


def scram_verifies(verifier: str, password: str) -> bool:
    """True when ``verifier`` (pg_authid.rolpassword, SCRAM-SHA-256) accepts ``password``;
    False for none, an md5 hash or a plain text one, which a provision replaces."""
    try:
        method, salted, keys = verifier.split("$")
        iterations, salt = salted.split(":")
        stored_key, _server_key = keys.split(":")
        if method != "SCRAM-SHA-256":
            return False
        salted_password = hashlib.pbkdf2_hmac("sha256", password.encode(),
                                              base64.b64decode(salt), int(iterations))
    except (AttributeError, ValueError):
        return False
    client_key = hmac.digest(salted_password, b"Client Key", "sha256")
    return hmac.compare_digest(hashlib.sha256(client_key).digest(),
                               base64.b64decode(stored_key))


def psql_quoted(value: str) -> str:
    """``value`` as a single-quoted argument of a psql meta-command (``\\set NAME 'value'``)."""
    escaped = (value.replace("\\", "\\\\").replace("'", "\\'")
               .replace("\n", "\\n").replace("\r", "\\r"))
    return f"'{escaped}'"


class FilterModule:
    """The filters, by name."""

    def filters(self) -> dict[str, Callable[..., object]]:
        return {"postgres_scram_verifies": scram_verifies, "postgres_psql_quoted": psql_quoted}
