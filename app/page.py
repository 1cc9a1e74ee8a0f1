"""The visitor's page and its 503 twin: templates looked up once, the release block prepared
once, so a page view costs its database statement and one template render.
"""
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from flask import Flask
from sqlalchemy import Engine

from app.build_info import UNKNOWN, BuildInfo
from app.settings import Settings
from app.visits import VisitCount, VisitCounter

DATABASE_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


@dataclass(frozen=True)
class BuiltAt:
    """The build time for people (``text``) and for machines (``iso``, empty when unknown)."""

    iso: str
    text: str


def built_at(value: str) -> BuiltAt:
    """``2026-11-23T08:00:00Z`` becomes ``23 Nov 2026, 08:00 UTC``; anything else is shown as is."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return BuiltAt(iso="", text=value or UNKNOWN)
    if moment.tzinfo is None:
        return BuiltAt(iso=value, text=moment.strftime("%d %b %Y, %H:%M"))
    return BuiltAt(iso=value,
                   text=moment.astimezone(timezone.utc).strftime("%d %b %Y, %H:%M UTC"))


def server_version(engine: Engine) -> str | None:
    """E.g. ``PostgreSQL 15.18``, from what the driver learnt on its first connect (no query)."""
    info = engine.dialect.server_version_info
    if not info:
        return None
    name = DATABASE_NAMES.get(engine.dialect.name, engine.dialect.name)
    return f"{name} {'.'.join(str(part) for part in info)}"


class Page:
    """Counts a visit and renders the page; renders the 503 page when the database fails."""

    def __init__(self, app: Flask, settings: Settings, build: BuildInfo,
                 counter: VisitCounter) -> None:
        self.counter = counter
        self.template = app.jinja_env.get_template("index.html")
        self.release: dict[str, Any] = {
            "build": build, "built_at": built_at(build.built_at),
            "user_name": settings.user_name, "user_url": settings.user_url}
        # Known after the first connection; it never changes while the process lives.
        self.database: str | None = None
        self.unavailable = app.jinja_env.get_template("unavailable.html").render(
            database=None, **self.release)

    def visit(self, ip: str) -> str:
        """Count one visit from ``ip`` and return the page showing it."""
        count: VisitCount = self.counter.record(ip)
        if self.database is None:
            self.database = server_version(self.counter.engine)
        return self.template.render(count=count, database=self.database, **self.release)
