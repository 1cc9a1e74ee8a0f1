"""The visitor-counter app: ``create_app()`` builds it (``gunicorn 'app:create_app()'``).

Configuration comes from the environment and is validated here, so a bad value stops the start
with one line (ConfigError) instead of surfacing on the first request. Everything a request
could compute once (the release, templates, statements, the metrics registry) is prepared here.
"""
import json
import os
from pathlib import Path
from typing import Mapping

import flask_migrate
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import health, metrics, views
from app.build_info import read_build_info
from app.connections import engine_options, prepare_engine, request_engine
from app.database import MIGRATIONS_DIR, db, migrate
from app.page import Page
from app.schema import ReleaseSchema
from app.settings import ConfigError, Settings, attach_settings
from app.visits import VisitCounter

__all__ = ["ConfigError", "create_app"]


def create_app(environ: Mapping[str, str] | None = None, instance_path: str | None = None) -> Flask:
    """Build the app from ``environ`` (default: the process environment).

    ``instance_path`` (default: Flask's ``instance/`` beside the package) holds the SQLite file
    used when DATABASE_URL is unset. Nothing here connects to the database: the app starts
    (and answers /healthz) while the database is away.
    """
    environ = os.environ if environ is None else environ
    app = Flask(__name__, instance_path=instance_path)
    settings = Settings.from_env(environ, Path(app.instance_path))
    app.logger.setLevel(settings.log_level)
    attach_settings(app, settings)
    build = read_build_info(environ)
    app.extensions["visitor_build"] = build
    app.extensions["visitor_version_json"] = json.dumps(build.as_dict())
    app.extensions["visitor_schema"] = ReleaseSchema.from_scripts(MIGRATIONS_DIR)
    app.config["SQLALCHEMY_DATABASE_URI"] = settings.database_url
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(settings)
    db.init_app(app)
    with app.app_context():
        prepare_engine(db.engine)
    migrate.init_app(app, db)
    counter = VisitCounter(request_engine(settings))
    app.extensions["visitor_engine"] = counter.engine
    app.extensions["visitor_page"] = Page(app, settings, build, counter)
    if settings.trusted_proxy_hops > 0:
        # Flask's documented way to add WSGI middleware; mypy sees a method being replaced.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.trusted_proxy_hops)
    metrics.init_metrics(app, settings, build)
    app.register_blueprint(views.blueprint)
    app.register_blueprint(health.blueprint)
    if settings.migrate_on_start:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        with app.app_context():
            flask_migrate.upgrade()
    app.logger.info("visitor counter %s on %s", build.version,
                    settings.database_url.render_as_string(hide_password=True))
    return app
