"""The visitor's page and its 503 twin.

Everything on the page but the visit's own figures is fixed while the process lives, so it is
rendered once: a page view costs its database statement and one small macro (``stats.html``),
about 8 us, where rendering the whole page cost about 60 us (mostly escaping the same release
fields again).
"""
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from flask import Flask
from markupsafe import Markup
from sqlalchemy import Engine

from app.build_info import UNKNOWN, BuildInfo
from app.settings import Settings
from app.visits import VisitCount, VisitCounter

DATABASE_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
# Where the figures go in the page rendered once; no template produces a NUL character.
STATS_SLOT = "\x00stats\x00"


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
        self.stats = app.jinja_env.get_template("stats.html").module.stats
        self.release: dict[str, Any] = {
            "build": build, "built_at": built_at(build.built_at),
            "user_name": settings.user_name, "user_url": settings.user_url}
        self.unavailable = app.jinja_env.get_template("unavailable.html").render(
            database=None, **self.release)
        self.frame(database=None)  # a template without its slot fails here, not on a visit
        # Rendered on the first visit: the database's version is known after a connection,
        # and never changes while the process lives.
        self.around_stats: tuple[str, str] | None = None

    def frame(self, database: str | None) -> tuple[str, str]:
        """The page before and after the visit's figures."""
        page = self.template.render(stats=Markup(STATS_SLOT), database=database, **self.release)
        before, slot, after = page.partition(STATS_SLOT)
        if not slot or STATS_SLOT in after:
            raise RuntimeError("templates/index.html must show {{ stats }} exactly once")
        return before, after

    def visit(self, ip: str) -> str:
        """Count one visit from ``ip`` and return the page showing it."""
        count: VisitCount = self.counter.record(ip)
        if self.around_stats is None:
            self.around_stats = self.frame(server_version(self.counter.engine))
        before, after = self.around_stats
        return "".join((before, self.stats(count), after))
