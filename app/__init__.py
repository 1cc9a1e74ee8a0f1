"""The visitor-counter app: ``create_app()`` builds it (``gunicorn 'app:create_app()'``).

Configuration comes from the environment and is validated here, so a bad value stops the start
with one line (ConfigError) instead of surfacing on the first request.
"""
import os
from pathlib import Path
from typing import Mapping

import flask_migrate
from flask import Flask, Response, current_app, jsonify
from sqlalchemy.exc import OperationalError
from werkzeug.middleware.proxy_fix import ProxyFix

from app import health, metrics, views
from app.build_info import read_build_info
from app.database import MIGRATIONS_DIR, db, migrate
from app.schema import expected_heads
from app.settings import ConfigError, Settings, attach_settings
from app.sqlite import configure_sqlite

__all__ = ["ConfigError", "create_app"]


def engine_options(settings: Settings) -> dict[str, object]:
    """Pool settings: check connections before use so a database restart costs no errors.

    PostgreSQL: give up connecting after 5 s, so /readyz answers while the server is away.
    SQLite: wait up to 30 s for the write lock; its waiters are not served in order, so under
    a burst of concurrent visits the default 5 s let some requests fail.
    """
    connect_args = {"postgresql": {"connect_timeout": 5}, "sqlite": {"timeout": 30}}
    return {"pool_pre_ping": True,
            "connect_args": connect_args[settings.database_url.get_backend_name()]}


def database_unavailable(error: OperationalError) -> tuple[Response, int]:
    """A lost database is the service being unavailable, not a bug in the request."""
    current_app.logger.error("database unavailable: %s", error.orig)
    return jsonify(error="database unavailable"), 503


def create_app(environ: Mapping[str, str] | None = None, instance_path: str | None = None) -> Flask:
    """Build the app from ``environ`` (default: the process environment).

    ``instance_path`` (default: Flask's ``instance/`` beside the package) holds the SQLite file
    used when DATABASE_URL is unset.
    """
    environ = os.environ if environ is None else environ
    app = Flask(__name__, instance_path=instance_path)
    settings = Settings.from_env(environ, Path(app.instance_path))
    app.logger.setLevel(settings.log_level)
    attach_settings(app, settings)
    app.extensions["visitor_build"] = read_build_info(environ)
    app.extensions["visitor_schema_heads"] = expected_heads(MIGRATIONS_DIR)
    app.config["SQLALCHEMY_DATABASE_URI"] = settings.database_url
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(settings)
    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db)
    if settings.trusted_proxy_hops > 0:
        # Flask's documented way to add WSGI middleware; mypy sees a method being replaced.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.trusted_proxy_hops)
    metrics.init_metrics(app)
    app.register_blueprint(views.blueprint)
    app.register_blueprint(health.blueprint)
    app.register_error_handler(OperationalError, database_unavailable)
    if settings.migrate_on_start:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        with app.app_context():
            flask_migrate.upgrade()
    app.logger.info("visitor counter %s on %s", app.extensions["visitor_build"].version,
                    settings.database_url.render_as_string(hide_password=True))
    return app
