"""Liveness and readiness probes.

``/healthz`` says the process serves requests and never touches the database, so a database
outage does not get every app container restarted. ``/readyz`` says this instance can do its job:
the database answers and its schema is at this release's migration head.
"""
from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from app.metrics import DATABASE_ERRORS
from app.schema import schema_problem

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> Response:
    """Alive: answering requests."""
    return jsonify(status="ok")


@blueprint.get("/readyz")
def readyz() -> Response | tuple[Response, int]:
    """Ready: 200 when the database answers at the expected schema, else 503 with the reason."""
    heads: frozenset[str] = current_app.extensions["visitor_schema_heads"]
    try:
        problem = schema_problem(current_app.extensions["visitor_engine"], heads)
    except SQLAlchemyError as error:
        DATABASE_ERRORS.inc()
        problem = f"database unreachable ({type(error).__name__})"
    if problem is not None:
        return jsonify(status="not ready", reason=problem), 503
    return jsonify(status="ready", schema=", ".join(sorted(heads)))
