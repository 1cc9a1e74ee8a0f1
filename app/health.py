"""Liveness and readiness probes.

``/healthz`` says the process serves requests and never touches the database, so a database
outage does not get every app container restarted. ``/readyz`` says this instance can do its job:
the database answers and its schema is one this release's code runs on: at this release's
migration head, or a newer schema that the migrations recorded as compatible with it (expand
migrations only since; see app/revisions.py). So during a deploy the old release stays ready
after the new one's expand migrations, and a rollback across them passes.
"""
from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from app.metrics import DATABASE_ERRORS
from app.schema import ReleaseSchema, listed, schema_problem

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> Response:
    """Alive: answering requests."""
    return jsonify(status="ok")


@blueprint.get("/readyz")
def readyz() -> Response | tuple[Response, int]:
    """Ready: 200 when the database answers at a schema this release runs on, else 503 with
    the reason."""
    release: ReleaseSchema = current_app.extensions["visitor_schema"]
    try:
        problem = schema_problem(current_app.extensions["visitor_engine"], release)
    except SQLAlchemyError as error:
        DATABASE_ERRORS.inc()
        problem = f"database unreachable ({type(error).__name__})"
    if problem is not None:
        return jsonify(status="not ready", reason=problem), 503
    return jsonify(status="ready", release=listed(release.heads))
