"""The app's configuration, read from the environment once and validated at start.

A bad value stops ``create_app()`` with one line naming the variable, so a misconfigured
container fails its start instead of serving wrong answers. Values are never echoed for
DATABASE_URL, which carries a password.
"""
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from flask import Flask, current_app
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# SQLAlchemy's bare ``postgresql://`` means psycopg2; this app ships psycopg 3.
DRIVERS = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg",
           "postgresql+psycopg": "postgresql+psycopg", "sqlite": "sqlite",
           "sqlite+pysqlite": "sqlite+pysqlite"}


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message is one line for the console."""


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from its environment."""

    database_url: URL
    user_name: str
    user_url: str
    trusted_proxy_hops: int
    log_level: int
    metrics_dir: Path | None
    # With no DATABASE_URL the app migrates its own SQLite file, so `flask run` just works.
    migrate_on_start: bool
    # Whether a visit's commit waits for its WAL flush (PostgreSQL's synchronous_commit).
    visit_synchronous_commit: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str], instance_dir: Path) -> "Settings":
        """Validate ``environ``; ``instance_dir`` holds the SQLite file if DATABASE_URL is unset."""
        return cls(
            database_url=parse_database_url(environ.get("DATABASE_URL", ""), instance_dir),
            user_name=environ.get("USER_NAME", "").strip() or "unknown",
            user_url=parse_user_url(environ.get("USER_URL", "")),
            trusted_proxy_hops=parse_proxy_hops(environ.get("TRUSTED_PROXY_HOPS", "")),
            log_level=parse_log_level(environ.get("LOG_LEVEL", "")),
            metrics_dir=parse_metrics_dir(environ.get("PROMETHEUS_MULTIPROC_DIR", "")),
            migrate_on_start=not environ.get("DATABASE_URL", "").strip(),
            visit_synchronous_commit=parse_on_off("VISIT_SYNCHRONOUS_COMMIT",
                                                  environ.get("VISIT_SYNCHRONOUS_COMMIT", "")),
        )


def attach_settings(app: Flask, settings: Settings) -> None:
    """Keep ``settings`` with the app for views to read through ``current_settings()``."""
    app.extensions["visitor_settings"] = settings


def current_settings() -> Settings:
    """The settings of the app handling the current request."""
    settings: Settings = current_app.extensions["visitor_settings"]
    return settings


def default_database_url(instance_dir: Path) -> URL:
    """The embedded SQLite file a developer gets with nothing installed."""
    path = instance_dir / "visitors.db"
    return URL.create("sqlite", database=str(path))


def parse_database_url(value: str, instance_dir: Path) -> URL:
    """DATABASE_URL as a SQLAlchemy URL on a driver this app ships; unset means SQLite."""
    if not value.strip():
        return default_database_url(instance_dir)
    try:
        url = make_url(value.strip())
    except ArgumentError:
        raise ConfigError("DATABASE_URL is not a database URL "
                          "(expected postgresql://USER:PASSWORD@HOST:PORT/NAME)") from None
    driver = DRIVERS.get(url.drivername)
    if driver is None:
        raise ConfigError(f"DATABASE_URL uses {url.drivername!r}; "
                          "expected postgresql:// (psycopg 3) or sqlite://")
    if not url.database:
        raise ConfigError("DATABASE_URL names no database")
    return url.set(drivername=driver)


def parse_user_url(value: str) -> str:
    """USER_URL becomes a link on the page, so only http(s) URLs with a host are accepted."""
    value = value.strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"USER_URL must be an http:// or https:// URL, got {value!r}")
    return value


def parse_proxy_hops(value: str) -> int:
    """TRUSTED_PROXY_HOPS: how many proxies in front of the app may set X-Forwarded-For."""
    if not value.strip():
        return 0
    try:
        hops = int(value)
    except ValueError:
        hops = -1
    if hops < 0:
        raise ConfigError(f"TRUSTED_PROXY_HOPS must be an integer >= 0, got {value!r}")
    return hops


def parse_log_level(value: str) -> int:
    """LOG_LEVEL by name, default INFO."""
    name = value.strip().upper() or "INFO"
    if name not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return int(logging.getLevelName(name))


def parse_on_off(name: str, value: str) -> bool:
    """``on`` (the default) or ``off``."""
    word = value.strip().lower() or "on"
    if word not in ("on", "off"):
        raise ConfigError(f"{name} must be on or off, got {value!r}")
    return word == "on"


def parse_metrics_dir(value: str) -> Path | None:
    """PROMETHEUS_MULTIPROC_DIR (gunicorn workers share metrics there) must be a directory."""
    if not value:
        return None
    path = Path(value)
    if not path.is_dir() or not os.access(path, os.W_OK):
        raise ConfigError(f"PROMETHEUS_MULTIPROC_DIR must be a writable directory, got {value!r}")
    return path
