"""The visitor-facing routes: the page that counts a visit, and ``/version``."""
import logging

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from app.client_address import InvalidAddress, canonical_address
from app.metrics import DATABASE_ERRORS, VISITS
from app.page import Page

blueprint = Blueprint("views", __name__)
log = logging.getLogger(__name__)
HTML = "text/html; charset=utf-8"


def current_page() -> Page:
    """The page of the app handling this request."""
    page: Page = current_app.extensions["visitor_page"]
    return page


@blueprint.get("/")
def index() -> Response | tuple[Response, int]:
    """Count this visit and show the statistics, the release and who deployed it."""
    if request.method == "HEAD":  # monitors probing the page are not visitors
        return Response(mimetype="text/html")
    try:
        ip = canonical_address(request.remote_addr)
    except InvalidAddress as error:
        log.warning("refused a visit: %s", error)
        return jsonify(error=str(error)), 400
    body = current_page().visit(ip)
    VISITS.inc()
    return Response(body, content_type=HTML)


@blueprint.get("/version")
def version() -> Response:
    """What is running, for the deploy's check that the expected build answers."""
    body: str = current_app.extensions["visitor_version_json"]
    return Response(body, mimetype="application/json")


@blueprint.app_errorhandler(SQLAlchemyError)
def database_unavailable(error: SQLAlchemyError) -> Response:
    """A failing database is the service being unavailable, not a bug in the request.

    Only the page uses the database in a request (``/readyz`` reports its own failures).
    """
    log.error("database unavailable: %s", getattr(error, "orig", None) or error)
    DATABASE_ERRORS.inc()
    return Response(current_page().unavailable, status=503, content_type=HTML,
                    headers={"Retry-After": "5"})
