"""Alembic migrations: a package so they ship inside ``app`` and type-check under unique names."""
