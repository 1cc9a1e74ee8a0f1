"""A FAKE Jenkins controller, for tests only. It is NOT Jenkins and ships nowhere.

No Jenkins server can run on these machines, so the python-jenkins code and the push hook are
tested against this stand-in, built from Jenkins' documented REST API and as strict as the real
one where our code depends on it:

- every request needs HTTP basic auth with a user's password or API token (401 otherwise);
- a POST signed with a password needs the crumb ``/crumbIssuer/api/json`` issued to that user
  (403 otherwise); one signed with an API token needs none, as in Jenkins since 2.96;
- jobs may live in folders (``job/a/job/b/``); unknown items, builds, queue items and inputs
  answer 404; an item is created inside an existing folder only;
- a build request answers 201 with a queue item in ``Location``; the item becomes a build after
  a few polls, as when it waits for an executor;
- ``job/NAME/polling`` (what the push hook calls) needs Job/Build on the job and answers with a
  redirect to the job, as Jenkins does;
- console text grows one chunk per ``logText/progressiveText`` request, with ``X-Text-Size`` and
  ``X-More-Data`` as Jenkins sends them;
- a build may stop at an ``input`` step: ``wfapi/pendingInputActions`` lists it, and
  ``input/ID/proceedEmpty`` or ``input/ID/abort`` answer it, only for a user id of its submitter
  list (Jenkins also lets administrators; the fake has none).

Builds follow a scripted :class:`BuildPlan` instead of running anything.
"""
import base64
import json
import secrets
import threading
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

JENKINS_VERSION = "2.479.3"
CRUMB_FIELD = "Jenkins-Crumb"
FOLDER_ROOT = "com.cloudbees.hudson.plugins.folder.Folder"


@dataclass(frozen=True)
class FakeUser:
    """An account: its API token, its password, and the jobs it may build (None: all)."""

    token: str
    password: str
    may_build: frozenset[str] | None = None


@dataclass(frozen=True)
class PendingInput:
    """An ``input`` step the build stops at, after the plan's first ``after_chunk`` chunks."""

    id: str
    message: str
    submitters: str
    after_chunk: int


@dataclass
class BuildPlan:
    """What the next builds of a job print and how they end."""

    chunks: list[str] = field(default_factory=lambda: [
        "Started by user\n", "[Pipeline] stage (Lint)\n", "[Pipeline] sh\n",
        "lint: 0 problems\n"])
    result: str = "SUCCESS"
    pending_input: PendingInput | None = None


@dataclass
class Build:
    """One build's state as the fake serves it."""

    job: str
    number: int
    parameters: dict[str, str]
    plan: BuildPlan
    console: str = ""
    next_chunk: int = 0
    result: str | None = None
    display_name: str = ""
    waiting_input: PendingInput | None = None
    input_answered: bool = False

    @property
    def building(self) -> bool:
        return self.result is None

    def advance(self) -> None:
        """One step of progress: the next console chunk, a pause at input, or the end."""
        if self.result is not None or self.waiting_input is not None:
            return
        pending = self.plan.pending_input
        if pending is not None and self.next_chunk == pending.after_chunk \
                and not self.input_answered:
            self.waiting_input = pending
            self.console += f"{pending.message}\nProceed or Abort\n"
            return
        if self.next_chunk < len(self.plan.chunks):
            self.console += self.plan.chunks[self.next_chunk]
            self.next_chunk += 1
            return
        self.finish(self.plan.result)

    def finish(self, result: str) -> None:
        self.result = result
        self.console += f"Finished: {result}\n"


@dataclass
class QueueItem:
    """A build request waiting for an executor; ``build`` is set once it started."""

    id: int
    job: str
    parameters: dict[str, str]
    polls_left: int
    build: Build | None = None


class FakeJenkins:
    """The fake's state, served by :meth:`serve`. Tests reach into it to set up and check."""

    def __init__(self, queue_polls: int = 2) -> None:
        self.users = {"ci": FakeUser("ci-token-123", "ci-password"),
                      "alice": FakeUser("alice-token-789", "alice-password"),
                      "dev": FakeUser("dev-token-456", "dev-password", frozenset())}
        self.queue_polls = queue_polls
        self.crumbs: dict[str, str] = {}
        self.jobs: dict[str, str] = {}
        self.plans: dict[str, BuildPlan] = {}
        self.builds: dict[str, list[Build]] = {}
        self.queue: dict[int, QueueItem] = {}
        self.polls: list[tuple[str, str]] = []
        self.requested: list[str] = []
        self.config_posts: list[str] = []
        self.lock = threading.Lock()
        self.url = ""

    def add_job(self, name: str, config_xml: str = "<flow-definition/>") -> None:
        """An item (a folder when its config's root says so), given its full name."""
        self.jobs[name] = config_xml
        self.builds.setdefault(name, [])

    def start_build(self, job: str, parameters: dict[str, str] | None = None) -> Build:
        """A build that skipped the queue, as when a test needs one running already."""
        builds = self.builds[job]
        build = Build(job=job, number=len(builds) + 1, parameters=parameters or {},
                      plan=self.plans.get(job, BuildPlan()))
        build.display_name = f"#{build.number}"
        builds.append(build)
        return build

    def enqueue(self, job: str, parameters: dict[str, str]) -> QueueItem:
        item = QueueItem(id=len(self.queue) + 100, job=job, parameters=parameters,
                         polls_left=self.queue_polls)
        self.queue[item.id] = item
        return item

    @contextmanager
    def serve(self) -> Iterator["FakeJenkins"]:
        """Listen on 127.0.0.1 on a free port for the ``with`` body."""
        fake = self

        class Handler(_Handler):
            state = fake

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{server.server_address[1]}/"
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                  daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join()


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _Handler(BaseHTTPRequestHandler):
    state: FakeJenkins
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest shows the assertions, not an access log."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            with self.state.lock:
                self.state.requested.append(f"{method} {self.path}")
                user, by_token = self._authenticate()
                if method == "POST" and not by_token:
                    self._check_crumb(user)
                route = _GETS if method == "GET" else _POSTS
                status, payload, headers = _dispatch(route, self.state, parts.path, query,
                                                     body, user)
        except HttpError as error:
            status, payload, headers = error.status, f"Error {error.status}: {error}\n", {}
            if error.status == 401:
                headers = {"WWW-Authenticate": 'Basic realm="Jenkins"'}
        self._reply(status, payload, headers)

    def _authenticate(self) -> tuple[str, bool]:
        """The user, and whether they signed with an API token (rather than a password)."""
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            raise HttpError(401, "Authentication required")
        user, _, secret = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        known = self.state.users.get(user)
        if known is not None and secrets.compare_digest(known.token, secret):
            return user, True
        if known is not None and secrets.compare_digest(known.password, secret):
            return user, False
        raise HttpError(401, f"Invalid password/token for user: {user}")

    def _check_crumb(self, user: str) -> None:
        issued = self.state.crumbs.get(user)
        if issued is None or self.headers.get(CRUMB_FIELD) != issued:
            raise HttpError(403, "No valid crumb was included in the request")

    def _reply(self, status: int, payload: Any, headers: dict[str, str]) -> None:
        if isinstance(payload, (dict, list)):
            data = json.dumps(payload).encode("utf-8")
            content_type = "application/json;charset=utf-8"
        else:
            data = str(payload).encode("utf-8")
            content_type = headers.pop("Content-Type", "text/plain;charset=utf-8")
        self.send_response(status)
        self.send_header("X-Jenkins", JENKINS_VERSION)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


Reply = tuple[int, Any, dict[str, str]]


def _dispatch(routes: dict[tuple[str, ...], Any], state: FakeJenkins, path: str,
              query: dict[str, str], body: bytes, user: str) -> Reply:
    """Match ``/job/J/N/...`` style paths against route patterns (``J`` job, ``N`` number);
    ``job/a/job/b`` is the single job ``a/b``, as folders nest in Jenkins."""
    raw = [unquote(part) for part in path.strip("/").split("/") if part]
    segments: list[str] = []
    while raw:
        if raw[0] == "job" and len(raw) > 1 and segments[-2:-1] == ["job"]:
            segments[-1] += "/" + raw[1]
            raw = raw[2:]
            continue
        segments.append(raw.pop(0))
    for pattern, handler in routes.items():
        if len(pattern) != len(segments):
            continue
        captured: list[str] = []
        for expected, actual in zip(pattern, segments):
            if expected in ("J", "N", "ID"):
                captured.append(actual)
            elif expected != actual:
                break
        else:
            return handler(state, *captured, query=query, body=body, user=user)
    raise HttpError(404, f"Not Found: {path}")


def _job(state: FakeJenkins, name: str) -> str:
    if name not in state.jobs:
        raise HttpError(404, f"No such job: {name}")
    return name


def _build(state: FakeJenkins, job: str, number: str) -> Build:
    builds = state.builds[_job(state, job)]
    if not number.isdigit() or not 1 <= int(number) <= len(builds):
        raise HttpError(404, f"No build {number} of {job}")
    return builds[int(number) - 1]


def _build_json(state: FakeJenkins, build: Build) -> dict[str, Any]:
    return {"_class": "org.jenkinsci.plugins.workflow.job.WorkflowRun", "number": build.number,
            "url": f"{state.url}{_path(build.job)}{build.number}/", "building": build.building,
            "result": build.result, "displayName": build.display_name,
            "fullDisplayName": f"{build.job} {build.display_name}", "duration": 0,
            "timestamp": 1_700_000_000_000 + build.number,
            "actions": [{"_class": "hudson.model.ParametersAction",
                         "parameters": [{"name": key, "value": value}
                                        for key, value in build.parameters.items()]}]}


def _root(state: FakeJenkins, **_: Any) -> Reply:
    return 200, {"mode": "NORMAL", "jobs": [{"name": name, "url": f"{state.url}{_path(name)}"}
                                            for name in state.jobs]}, {}


def _whoami(state: FakeJenkins, user: str, **_: Any) -> Reply:
    return 200, {"id": user, "fullName": user, "anonymous": False}, {}


def _crumb(state: FakeJenkins, user: str, **_: Any) -> Reply:
    crumb = state.crumbs.setdefault(user, secrets.token_hex(16))
    return 200, {"crumb": crumb, "crumbRequestField": CRUMB_FIELD}, {}


def _job_info(state: FakeJenkins, job: str, **_: Any) -> Reply:
    builds = state.builds[_job(state, job)]
    summaries = [{"number": build.number, "url": f"{state.url}{_path(job)}{build.number}/"}
                 for build in reversed(builds)]
    return 200, {"_class": "org.jenkinsci.plugins.workflow.job.WorkflowJob",
                 "name": job.rpartition("/")[2], "fullName": job,
                 "url": f"{state.url}{_path(job)}", "builds": summaries,
                 "firstBuild": summaries[-1] if summaries else None,
                 "lastBuild": summaries[0] if summaries else None,
                 "nextBuildNumber": len(builds) + 1}, {}


def _get_config(state: FakeJenkins, job: str, **_: Any) -> Reply:
    return 200, state.jobs[_job(state, job)], {"Content-Type": "application/xml"}


def _parse_config(body: bytes) -> str:
    text = body.decode("utf-8")
    try:
        ElementTree.fromstring(text.split("?>", 1)[-1] if text.startswith("<?xml") else text)
    except ElementTree.ParseError as error:
        raise HttpError(500, f"Failed to parse the job configuration: {error}") from error
    return text


def _post_config(state: FakeJenkins, job: str, body: bytes, **_: Any) -> Reply:
    state.jobs[_job(state, job)] = _parse_config(body)
    state.config_posts.append(job)
    return 200, "", {}


def _create_item(state: FakeJenkins, query: dict[str, str], body: bytes,
                 folder: str = "", **_: Any) -> Reply:
    name = query.get("name", "")
    if not name:
        raise HttpError(400, "Query parameter 'name' is required")
    full_name = f"{folder}/{name}" if folder else name
    if full_name in state.jobs:
        raise HttpError(400, f"A job already exists with the name '{name}'")
    state.add_job(full_name, _parse_config(body))
    state.config_posts.append(full_name)
    return 200, "", {}


def _create_in_folder(state: FakeJenkins, folder: str, **kwargs: Any) -> Reply:
    if ElementTree.fromstring(state.jobs[_job(state, folder)].split("?>", 1)[-1]).tag \
            != FOLDER_ROOT:
        raise HttpError(404, f"{folder} is not a folder")
    return _create_item(state, folder=folder, **kwargs)


def _poll(state: FakeJenkins, job: str, user: str, **_: Any) -> Reply:
    """``job/NAME/polling``: Job/Build is needed; Jenkins redirects to the job's page."""
    may_build = state.users[user].may_build
    if may_build is not None and _job(state, job) not in may_build:
        raise HttpError(403, f"{user} is missing the Job/Build permission")
    state.polls.append((_job(state, job), user))
    return 302, "", {"Location": f"{state.url}{_path(job)}"}


def _path(job: str) -> str:
    return "".join(f"job/{part}/" for part in job.split("/"))


def _queue_build(state: FakeJenkins, job: str, query: dict[str, str], **_: Any) -> Reply:
    item = state.enqueue(_job(state, job), query)
    return 201, "", {"Location": f"{state.url}queue/item/{item.id}/"}


def _queue_item(state: FakeJenkins, number: str, **_: Any) -> Reply:
    item = state.queue.get(int(number)) if number.isdigit() else None
    if item is None:
        raise HttpError(404, f"No queue item {number}")
    info: dict[str, Any] = {"id": item.id, "task": {"name": item.job}, "cancelled": False}
    if item.build is None and item.polls_left > 0:
        item.polls_left -= 1
        info["why"] = "Waiting for next available executor"
        return 200, info, {}
    if item.build is None:
        item.build = state.start_build(item.job, item.parameters)
    info["executable"] = {"number": item.build.number,
                          "url": f"{state.url}{_path(item.job)}{item.build.number}/"}
    return 200, info, {}


def _build_info(state: FakeJenkins, job: str, number: str, **_: Any) -> Reply:
    return 200, _build_json(state, _build(state, job, number)), {}


def _progressive_text(state: FakeJenkins, job: str, number: str, query: dict[str, str],
                      **_: Any) -> Reply:
    build = _build(state, job, number)
    build.advance()
    data = build.console.encode("utf-8")
    start = int(query.get("start", "0"))
    headers = {"X-Text-Size": str(len(data))}
    if build.building:
        headers["X-More-Data"] = "true"
    return 200, data[start:].decode("utf-8", errors="replace"), headers


def _pending_inputs(state: FakeJenkins, job: str, number: str, **_: Any) -> Reply:
    build = _build(state, job, number)
    pending = build.waiting_input
    if pending is None:
        return 200, [], {}
    base = f"/{_path(job)}{number}"
    return 200, [{"id": pending.id, "proceedText": "Proceed", "message": pending.message,
                  "inputs": [], "proceedUrl": f"{base}/wfapi/inputSubmit?inputId={pending.id}",
                  "abortUrl": f"{base}/input/{pending.id}/abort",
                  "redirectApprovalUrl": f"{base}/input/"}], {}


def _answer_input(state: FakeJenkins, job: str, number: str, input_id: str, user: str,
                  approve: bool) -> Reply:
    build = _build(state, job, number)
    pending = build.waiting_input
    if pending is None or pending.id != input_id:
        raise HttpError(404, f"No pending input {input_id} in {job} #{number}")
    if user not in [submitter.strip() for submitter in pending.submitters.split(",")]:
        raise HttpError(403, f"You need to be {pending.submitters} to submit this")
    build.waiting_input = None
    build.input_answered = True
    if approve:
        build.console += f"Approved by {user}\n"
    else:
        build.console += f"Rejected by {user}\n"
        build.finish("ABORTED")
    return 200, "", {}


def _proceed(state: FakeJenkins, job: str, number: str, input_id: str, user: str,
             **_: Any) -> Reply:
    return _answer_input(state, job, number, input_id, user, approve=True)


def _abort(state: FakeJenkins, job: str, number: str, input_id: str, user: str,
           **_: Any) -> Reply:
    return _answer_input(state, job, number, input_id, user, approve=False)


_GETS: dict[tuple[str, ...], Any] = {
    ("api", "json"): _root,
    (): _root,
    ("me", "api", "json"): _whoami,
    ("crumbIssuer", "api", "json"): _crumb,
    ("job", "J", "api", "json"): _job_info,
    ("job", "J", "config.xml"): _get_config,
    ("queue", "item", "N", "api", "json"): _queue_item,
    ("job", "J", "N", "api", "json"): _build_info,
    ("job", "J", "N", "logText", "progressiveText"): _progressive_text,
    ("job", "J", "N", "wfapi", "pendingInputActions"): _pending_inputs,
}

_POSTS: dict[tuple[str, ...], Any] = {
    ("createItem",): _create_item,
    ("job", "J", "config.xml"): _post_config,
    ("job", "J", "build"): _queue_build,
    ("job", "J", "buildWithParameters"): _queue_build,
    ("job", "J", "N", "input", "ID", "proceedEmpty"): _proceed,
    ("job", "J", "N", "input", "ID", "abort"): _abort,
    ("job", "J", "polling"): _poll,
    ("job", "J", "createItem"): _create_in_folder,
}
