"""What a registry holds, asked over its HTTP API (distribution's ``/v2/``) without pulling:
a repository's tags, an image's labels.

It reaches the registry as the Docker engine on this machine does, so whatever push reaches,
this reaches: HTTPS, trusting the CA the engine trusts for that registry
(``/etc/docker/certs.d/HOST:PORT/ca.crt``, where the docker_host role puts it) besides the
system's; plain HTTP only for a registry on loopback that does not speak TLS (the local
inventory's, which Docker also accepts in clear). With REGISTRY_USER and REGISTRY_PASSWORD set
(Jenkins binds them), every request carries them as basic auth, the registry role's htpasswd
login (a registry that wants a token login instead refuses it, in one line).
"""
import base64
import ipaddress
import json
import os
import re
import ssl
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from pathlib import Path
from typing import Any

from pipeline.core.errors import InputError, StageFailed

CERTS_DIR = Path("/etc/docker/certs.d")
# One image per tag: the manifests the build stage's pushes make (no multi-platform index).
MANIFEST_TYPES = ("application/vnd.docker.distribution.manifest.v2+json",
                  "application/vnd.oci.image.manifest.v1+json")
TAGS_PER_PAGE = 1000
TIMEOUT_SECONDS = 30
_NEXT = re.compile(r'<(?P<url>[^>]+)>\s*;\s*rel="?next"?')


class Registry:
    """One registry, ``host[:port]``; the scheme is found on the first request."""

    def __init__(self, address: str, certs_dir: Path = CERTS_DIR) -> None:
        self.address = address
        self.certs_dir = certs_dir
        self._scheme = ""

    def tags(self, repository: str, per_page: int = TAGS_PER_PAGE) -> list[str]:
        """Every tag of ``repository``, following the registry's pages; [] when it has none."""
        found: list[str] = []
        path: str | None = f"/v2/{repository}/tags/list?n={per_page}"
        while path is not None:
            body, headers = self._get(path, "application/json", missing_ok=True)
            if body is None:
                return found
            found += _json(body, path).get("tags") or []
            following = _NEXT.search(headers.get("Link", ""))
            path = following["url"] if following else None
        return found

    def labels(self, repository: str, tag: str) -> dict[str, str]:
        """The labels of ``repository:tag``, read from its image configuration."""
        path = f"/v2/{repository}/manifests/{tag}"
        body, _ = self._get(path, ", ".join(MANIFEST_TYPES))
        manifest = _json(body, path)
        digest = manifest.get("config", {}).get("digest")
        if not digest:
            raise StageFailed(f"{self.address}/{repository}:{tag} is not one image (media type "
                              f"{manifest.get('mediaType', 'unknown')}): push a single-platform "
                              "image")
        blob = f"/v2/{repository}/blobs/{digest}"
        configuration = _json(self._get(blob, "application/json")[0], blob)
        return dict(configuration.get("config", {}).get("Labels") or {})

    def _get(self, path: str, accept: str, missing_ok: bool = False) -> tuple[Any, Message]:
        """GET ``path``: its body and headers; (None, headers) for a 404 when ``missing_ok``."""
        authorization = _authorization()
        for scheme in self._schemes():
            request = urllib.request.Request(f"{scheme}://{self.address}{path}",
                                             headers={"Accept": accept})
            # Never forwarded on a redirect (a blob's storage elsewhere): the login is the
            # registry's alone.
            for name, value in authorization.items():
                request.add_unredirected_header(name, value)
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS,
                                            context=self._tls()) as response:
                    self._scheme = scheme
                    return response.read(), response.headers
            except urllib.error.HTTPError as error:
                self._scheme = scheme
                if error.code == 404 and missing_ok:
                    return None, error.headers
                raise self._refused(error, path) from None
            except urllib.error.URLError as error:
                if self._speaks_no_tls(error.reason) and scheme == "https" and self._loopback():
                    continue
                raise StageFailed(f"registry {self.address} does not answer: "
                                  f"{error.reason}") from None
        raise StageFailed(f"registry {self.address} does not answer over HTTPS or HTTP")

    def _schemes(self) -> tuple[str, ...]:
        return (self._scheme,) if self._scheme else ("https", "http")

    def _tls(self) -> ssl.SSLContext:
        """The system's trust, plus the CA the Docker engine trusts for this registry."""
        context = ssl.create_default_context()
        ca = self.certs_dir / self.address / "ca.crt"
        if ca.is_file():
            context.load_verify_locations(cafile=str(ca))
        return context

    @staticmethod
    def _speaks_no_tls(reason: object) -> bool:
        """A TLS handshake answered in clear, not a certificate this machine does not trust."""
        return isinstance(reason, ssl.SSLError) \
            and not isinstance(reason, ssl.SSLCertVerificationError)

    def _loopback(self) -> bool:
        host = urllib.parse.urlsplit(f"//{self.address}").hostname or ""
        try:
            return host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    def _refused(self, error: urllib.error.HTTPError, path: str) -> StageFailed:
        if error.code == 401:
            who = os.environ.get("REGISTRY_USER") or "an anonymous request"
            return StageFailed(f"registry {self.address} refused {who}: set REGISTRY_USER "
                               "and REGISTRY_PASSWORD to its login (basic auth)")
        return StageFailed(f"registry {self.address} answered {error.code} {error.reason} to "
                           f"GET {path}")


def _authorization() -> dict[str, str]:
    """Basic auth from REGISTRY_USER and REGISTRY_PASSWORD, when they are set."""
    user = os.environ.get("REGISTRY_USER", "")
    password = os.environ.get("REGISTRY_PASSWORD", "")
    if not user and not password:
        return {}
    if not user or not password:
        raise InputError("REGISTRY_USER and REGISTRY_PASSWORD go together: one is not set")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def _json(body: bytes, path: str) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise StageFailed(f"the registry's answer to GET {path} is not a JSON object")
    return document
