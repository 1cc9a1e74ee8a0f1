"""``pipeline version redeploy N ENV``: build N's image found in the environment's real registry
(pushed there by the real push stage), and its own version written into version_file.

The slow tests run a registry of their own (Debian's docker-registry, distribution 2.8, plain
HTTP on loopback like the local inventory's) and push small images (one tiny layer, FROM
scratch) to it with the real push stage.
"""
import base64
import datetime
import http.server
import io
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import tarfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import docker
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pipeline.core.errors import InputError, StageFailed
from pipeline.core.version import parse
from pipeline.ship import images, registry_api
from pipeline.ship.redeploy import VERSION_LABEL, build_number, find_build, tagged_versions
from bench.ports import free_port
from tests.support.stack import REPO_ROOT

# main has moved on to 1.5.0 since build 7 was built as 1.3.0.
MAIN_VERSION = "1.5.0+build.12\n"


@pytest.mark.parametrize("text", ["0", "07", "-3", "7a", "", " ", "1.3.0+build.7", "7 8"])
def test_a_build_to_redeploy_must_be_a_positive_integer(text: str) -> None:
    with pytest.raises(InputError, match=r"^the build to redeploy must be a build number \(a "
                                         r"positive integer\), got '.*'$"):
        build_number(text)


def test_a_build_number_may_come_with_spaces() -> None:
    assert build_number(" 7 ") == 7


def test_only_tags_the_build_stage_gives_are_versions() -> None:
    tags = ["latest", "git-90a06d2", "1.3.0-build.7", "1.3.0-build.07", "1.3-build.7",
            "1.3.0+build.7", "v1.3.0-build.7", "2.0.0-build.8"]
    assert [str(version) for version in tagged_versions(tags)] == ["1.3.0+build.7",
                                                                   "2.0.0+build.8"]


def test_the_command_refuses_a_bad_build_before_reading_any_registry(tmp_path: Path) -> None:
    version_file = tmp_path / "version.txt"
    version_file.write_text(MAIN_VERSION, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "version", "redeploy", "7;ls", "production"],
        cwd=REPO_ROOT, text=True, capture_output=True, timeout=60, check=False,
        env={**os.environ, "PIPELINE_VERSION_FILE": str(version_file),
             "PIPELINE_REPORTS_DIR": str(tmp_path / "reports")})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "pipeline: error: the build to redeploy must be a build number (a positive integer), "
        "got '7;ls'"]
    assert version_file.read_text(encoding="utf-8") == MAIN_VERSION


REGISTRY_CONFIG = """\
version: 0.1
storage:
  filesystem:
    rootdirectory: {storage}
http:
  addr: {address}
"""
TLS_CONFIG = """\
  tls:
    certificate: {certificate}
    key: {key}
"""


@contextmanager
def serving(workdir: Path, storage: Path, tls: tuple[Path, Path, Path] | None = None
            ) -> Iterator[str]:
    """Debian's docker-registry on a free loopback port, storing in ``storage``, with TLS when
    ``tls`` (CA, certificate, key) is given: its address, while it runs."""
    address = f"127.0.0.1:{free_port()}"
    text = REGISTRY_CONFIG.format(storage=storage, address=address)
    context = None
    if tls is not None:
        text += TLS_CONFIG.format(certificate=tls[1], key=tls[2])
        context = ssl.create_default_context(cafile=str(tls[0]))
    config = workdir / f"registry-{address.rpartition(':')[2]}.yml"
    config.write_text(text, encoding="utf-8")
    log_file = config.with_suffix(".log")
    with open(log_file, "wb") as log:
        server = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=log,
                                  stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{'https' if tls else 'http'}://{address}/v2/",
                                       timeout=2, context=context).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, \
                    log_file.read_text(encoding="utf-8")
                time.sleep(0.2)
        yield address
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def own_registry(provisioned: None,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A registry of this module's own (the provisioned machine has the Docker engine and
    Debian's docker-registry): its address and its storage."""
    workdir = tmp_path_factory.mktemp("registry")
    with serving(workdir, workdir / "storage") as address:
        yield address, workdir / "storage"


def certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA of its own and a certificate it signs for 127.0.0.1: their files (CA, certificate,
    key), as the registry role makes them."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "redeploy test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(ca_key, hashes.SHA256()))
    files = (directory / "ca.crt", directory / "registry.crt", directory / "registry.key")
    files[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files[1].write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    files[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return files


class Registry:
    """A repository of the test's registry, an inventory naming it, and the real push and
    redeploy commands run against them."""

    def __init__(self, workdir: Path, address: str) -> None:
        self.address = address
        self.client = docker.from_env()
        self.image_name = f"redeploy-{uuid.uuid4().hex[:8]}"
        self.workdir = workdir
        self.version_file = workdir / "version.txt"
        inventory = workdir / "inventories" / "test"
        (inventory / "group_vars" / "all").mkdir(parents=True)
        (inventory / "hosts.yml").write_text(
            "all:\n  hosts:\n    localhost: {ansible_connection: local}\n", encoding="utf-8")
        (inventory / "group_vars" / "all" / "main.yml").write_text(
            f"registry_address: {address}\n", encoding="utf-8")
        self.env = {**os.environ, "PIPELINE_IMAGE_NAME": self.image_name,
                    "PIPELINE_INVENTORIES_DIR": str(inventory.parent),
                    "PIPELINE_DEPLOY_ENVIRONMENT": "test",
                    "PIPELINE_VERSION_FILE": str(self.version_file),
                    "PIPELINE_REPORTS_DIR": str(workdir / "reports")}

    def push(self, version: str, label: str | None = None) -> None:
        """Build a tiny image labelled ``label`` (default: ``version``), tag it as the build
        stage tags ``version``, and push it with the real push stage."""
        label = version if label is None else label
        dockerfile = (f"FROM scratch\nCOPY marker /marker\n"
                      f"LABEL {VERSION_LABEL}=\"{label}\"\n").encode()
        context = io.BytesIO()
        with tarfile.open(fileobj=context, mode="w") as archive:
            for name, data in {"Dockerfile": dockerfile, "marker": version.encode()}.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
        context.seek(0)
        image, _ = self.client.images.build(fileobj=context, custom_context=True, rm=True)
        tags = images.image_tags(parse(version), self.head())
        for tag in tags:
            image.tag(self.image_name, tag=tag)
        self.version_file.write_text(version + "\n", encoding="utf-8")
        pushed = self.pipeline("push")
        assert pushed.returncode == 0, pushed.stdout + pushed.stderr

    def head(self) -> str:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, text=True,
                              capture_output=True, check=True).stdout.strip()

    def redeploy(self, build: str) -> subprocess.CompletedProcess[str]:
        """``pipeline version redeploy BUILD test`` with main's version file in place."""
        self.version_file.write_text(MAIN_VERSION, encoding="utf-8")
        return self.pipeline("version", "redeploy", build, "test")

    def pipeline(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pipeline", *argv], cwd=REPO_ROOT,
                              env=self.env, text=True, capture_output=True, timeout=300,
                              check=False)

    def remove(self) -> None:
        """Every local tag of the test's images (the registry keeps its copies)."""
        for image in self.client.images.list():
            for tag in image.tags:
                if tag.rpartition("/")[2].startswith(f"{self.image_name}:"):
                    self.client.images.remove(tag, force=True)


@pytest.fixture(scope="module")
def registry(own_registry: tuple[str, Path],
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """Build 7 as 1.3.0; build 8 twice (1.4.0 and 1.5.0: a number reused); build 9 tagged
    1.4.0-build.9 but labelled as build 8's image (retagged)."""
    made = Registry(tmp_path_factory.mktemp("redeploy"), own_registry[0])
    try:
        made.push("1.3.0+build.7")
        made.push("1.4.0+build.8")
        made.push("1.5.0+build.8")
        made.push("1.4.0+build.9", label="1.4.0+build.8")
        yield made
    finally:
        made.remove()


@pytest.mark.slow
def test_redeploy_writes_the_version_of_the_builds_image(registry: Registry) -> None:
    result = registry.redeploy("7")
    assert result.returncode == 0, result.stderr
    assert registry.version_file.read_text(encoding="utf-8") == "1.3.0+build.7\n"
    assert (f"redeploy of build 7: {registry.image_name}:1.3.0-build.7 is in {registry.address}; "
            f"{registry.version_file} says 1.3.0+build.7") in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize(("build", "message"), [
    ("10", "registry {registry} has no image {image} of build 10 (its newest builds there: "
           "7, 8, 9): nothing to redeploy"),
    ("8", "registry {registry} holds 2 images of build 8 (1.4.0-build.8, 1.5.0-build.8): "
          "which one is the build is not known"),
    ("9", "{registry}/{image}:1.4.0-build.9 says it is '1.4.0+build.8' "
          "(org.opencontainers.image.version), not 1.4.0+build.9: it was retagged"),
])
def test_a_build_the_registry_cannot_vouch_for_is_one_line_and_changes_nothing(
        registry: Registry, build: str, message: str) -> None:
    result = registry.redeploy(build)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "pipeline: error: " + message.format(registry=registry.address,
                                             image=registry.image_name)]
    assert registry.version_file.read_text(encoding="utf-8") == MAIN_VERSION


@pytest.mark.slow
def test_a_repository_the_registry_never_saw_holds_no_build(registry: Registry) -> None:
    registry.env["PIPELINE_IMAGE_NAME"] = f"never-pushed-{uuid.uuid4().hex[:8]}"
    try:
        result = registry.redeploy("7")
    finally:
        registry.env["PIPELINE_IMAGE_NAME"] = registry.image_name
    assert result.returncode == 1
    assert result.stderr.endswith("of build 7 (it holds no build of it): nothing to redeploy\n")


@pytest.mark.slow
def test_a_tls_registry_is_read_with_the_ca_the_engine_trusts_for_it(
        registry: Registry, own_registry: tuple[str, Path], tmp_path: Path) -> None:
    """The same images served over TLS with a CA of its own, which the engine would trust from
    certs.d/HOST:PORT/ca.crt: read with it; without it, one line and no fallback to HTTP."""
    ca, certificate, key = certificates(tmp_path)
    with serving(tmp_path, own_registry[1], (ca, certificate, key)) as address:
        certs = tmp_path / "certs.d"
        (certs / address).mkdir(parents=True)
        (certs / address / "ca.crt").write_bytes(ca.read_bytes())
        trusted = registry_api.Registry(address, certs_dir=certs)
        assert find_build(trusted, registry.image_name, 7) == parse("1.3.0+build.7")
        untrusted = registry_api.Registry(address, certs_dir=tmp_path / "nothing")
        with pytest.raises(StageFailed, match=rf"^registry {address} does not answer: "
                                              r".*CERTIFICATE_VERIFY_FAILED"):
            find_build(untrusted, registry.image_name, 7)


class Recording(http.server.BaseHTTPRequestHandler):
    """Answers GETs from ``routes`` (path -> status, headers, body) and records each request's
    path and Authorization header in ``seen``."""

    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
    seen: list[tuple[str, str | None]] = []

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        self.seen.append((self.path, self.headers.get("Authorization")))
        status, headers, body = self.routes.get(self.path, (404, {}, b"{}"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads ``seen``."""


@contextmanager
def answering(routes: dict[str, tuple[int, dict[str, str], bytes]]
              ) -> Iterator[tuple[str, list[tuple[str, str | None]]]]:
    """An HTTP server on loopback with these routes: its address and what it saw."""
    seen: list[tuple[str, str | None]] = []

    class Handler(Recording):
        """This server's routes and record."""

    Handler.routes, Handler.seen = routes, seen
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_the_registry_login_never_follows_a_redirect_elsewhere(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A registry may send a blob's download to its storage: that host never gets the login."""
    monkeypatch.setenv("REGISTRY_USER", "pipeline")
    monkeypatch.setenv("REGISTRY_PASSWORD", "s3cret")
    label = json.dumps({"config": {"Labels": {VERSION_LABEL: "1.3.0+build.7"}}}).encode()
    with answering({"/blob": (200, {}, label)}) as (storage, stored):
        manifest = json.dumps({"config": {"digest": "sha256:abc"}}).encode()
        with answering({
            "/v2/app/tags/list?n=1000": (200, {}, b'{"tags": ["1.3.0-build.7"]}'),
            "/v2/app/manifests/1.3.0-build.7": (200, {}, manifest),
            "/v2/app/blobs/sha256:abc": (307, {"Location": f"http://{storage}/blob"}, b""),
        }) as (address, asked):
            found = find_build(registry_api.Registry(address), "app", 7)
    assert found == parse("1.3.0+build.7")
    login = "Basic " + base64.b64encode(b"pipeline:s3cret").decode()
    assert [authorization for _, authorization in asked] == [login] * 3
    assert stored == [("/blob", None)]


def test_a_registry_that_refuses_the_login_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_USER", "pipeline")
    monkeypatch.setenv("REGISTRY_PASSWORD", "wrong")
    with answering({"/v2/app/tags/list?n=1000": (401, {}, b"{}")}) as (address, _):
        with pytest.raises(StageFailed) as raised:
            find_build(registry_api.Registry(address), "app", 7)
    assert str(raised.value) == (f"registry {address} refused pipeline: set REGISTRY_USER and "
                                 "REGISTRY_PASSWORD to its login (basic auth)")
