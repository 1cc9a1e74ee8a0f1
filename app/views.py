"""The visitor-facing routes: the page that counts a visit, and ``/version``."""
import logging

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from app.build_info import BuildInfo
from app.client_address import InvalidAddress, canonical_address
from app.database import db
from app.metrics import VISITS
from app.schema import server_version
from app.settings import current_settings
from app.visits import record_visit

blueprint = Blueprint("views", __name__)
log = logging.getLogger(__name__)


def current_build() -> BuildInfo:
    """The release running this app."""
    build: BuildInfo = current_app.extensions["visitor_build"]
    return build


@blueprint.get("/")
def index() -> Response | tuple[Response, int] | str:
    """Count this visit and show the statistics, the release and who deployed it."""
    if request.method == "HEAD":  # monitors probing the page are not visitors
        return Response(mimetype="text/html")
    try:
        ip = canonical_address(request.remote_addr)
    except InvalidAddress as error:
        log.warning("refused a visit: %s", error)
        return jsonify(error=str(error)), 400
    count = record_visit(db.session(), ip)
    VISITS.inc()
    settings = current_settings()
    return render_template("index.html", count=count, build=current_build(),
                           database=server_version(db.engine), user_name=settings.user_name,
                           user_url=settings.user_url)


@blueprint.get("/version")
def version() -> Response:
    """What is running, for the deploy's check that the expected build answers."""
    return jsonify(current_build().as_dict())
