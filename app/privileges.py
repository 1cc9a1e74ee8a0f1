"""What the app's own database role needs: reading and writing the counter, no DDL.

The app can run as a least-privilege role while migrations run as the schema's owner. Its
request path only counts visits (the triggers on ``visitor`` run as the writing role, so they
need UPDATE on ``visitor_total``) and ``/readyz`` reads the revision tables. It never creates
anything: with a PostgreSQL DATABASE_URL the app does not migrate or create tables at start.
app/migrate_locked.py grants exactly this to MIGRATE_APP_ROLE after migrating, so the
grants follow the schema of each release.
"""
import re
from typing import Callable

from app.settings import ConfigError

ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
TABLE_PRIVILEGES = (
    ("visitor", "SELECT, INSERT, UPDATE"),
    ("visitor_total", "SELECT, UPDATE"),
    ("alembic_version", "SELECT"),
    ("schema_compatibility", "SELECT"),
)
SEQUENCE_PRIVILEGES = (("visitor_id_seq", "USAGE, SELECT"),)


def checked_role(value: str) -> str:
    """MIGRATE_APP_ROLE: a plain lower-case PostgreSQL role name."""
    if ROLE_NAME.fullmatch(value) is None:
        raise ConfigError(f"MIGRATE_APP_ROLE must be a lower-case role name, got {value!r}")
    return value


def grant_statements(role: str, quote: Callable[[str], str]) -> list[str]:
    """The GRANTs that let ``role`` run the app; ``quote`` quotes an identifier."""
    grantee = quote(checked_role(role))
    return ([f"GRANT USAGE ON SCHEMA public TO {grantee}"]
            + [f"GRANT {privileges} ON TABLE {quote(table)} TO {grantee}"
               for table, privileges in TABLE_PRIVILEGES]
            + [f"GRANT {privileges} ON SEQUENCE {quote(sequence)} TO {grantee}"
               for sequence, privileges in SEQUENCE_PRIVILEGES])
