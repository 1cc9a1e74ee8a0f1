"""The ``push`` stage: the built image's tags to the configured registry.

With REGISTRY_USER and REGISTRY_PASSWORD set (Jenkins binds them for main's builds), it logs
in first; the login lives in this process only, never in a Docker config file.
"""
import os
from typing import TYPE_CHECKING

from pipeline.core.config import Config
from pipeline.core.errors import InputError, StageFailed
from pipeline.core.version import read_version
from pipeline.ship import images
from pipeline.ship.settings import ShipSettings

if TYPE_CHECKING:
    import docker


def push(config: Config) -> tuple[str, ...]:
    """Push ``X.Y.Z-build.N``, ``git-<sha>`` and ``latest``; return the references pushed."""
    from pipeline.ship import engine  # the docker SDK: the deploy extra, only when pushing

    settings = ShipSettings.from_config(config)
    if not settings.registry:
        raise InputError("setup.cfg [pipeline] registry: no registry configured to push to")
    client = engine.connect()
    login(client, settings.registry)
    tags = images.image_tags(read_version(config), images.current_commit(config))
    pushed = []
    for tag in tags:
        reference = f"{settings.repository}:{tag}"
        if not engine.has_image(client, reference):
            raise StageFailed(f"no local image {reference}: run the build stage first")
        chunks = client.api.push(settings.repository, tag=tag, stream=True, decode=True)
        for _ in engine.stream_progress(chunks, f"docker push {reference} to {settings.registry}"):
            pass
        pushed.append(reference)
        print(f"pushed {reference}")
    return tuple(pushed)


def login(client: "docker.DockerClient", registry: str) -> None:
    """Log in to ``registry`` with REGISTRY_USER/REGISTRY_PASSWORD, when they are set."""
    from docker.errors import APIError

    user = os.environ.get("REGISTRY_USER", "")
    password = os.environ.get("REGISTRY_PASSWORD", "")
    if not user and not password:
        return
    if not user or not password:
        raise InputError("REGISTRY_USER and REGISTRY_PASSWORD go together: one is not set")
    try:
        client.login(username=user, password=password, registry=registry, reauth=True)
    except APIError as error:
        reason = str(error.explanation or error).strip().splitlines()[0]
        raise StageFailed(f"registry {registry} refused the login of {user}: {reason}; "
                          "nothing was pushed") from error
