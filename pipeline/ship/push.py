"""The ``push`` stage: the built image's tags to the registry of each environment it is for.

Each environment's inventory names its registry (``registry_address``); registry.yml reads it
there, as the hosts do when they pull, so what is pushed and what is pulled cannot disagree.
Environments that share a registry get one push, which says the digest the registry gave each
tag (a deploy resolves the tag to its digest in the registry and runs exactly that). With
REGISTRY_USER and REGISTRY_PASSWORD set (Jenkins binds them for main's builds), it logs in
first; the login lives in this process only, never in a Docker config file.
"""
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pipeline.core.config import Config
from pipeline.core.errors import InputError, StageFailed
from pipeline.core.version import read_version
from pipeline.ship import images
from pipeline.ship.deploy import Environment
from pipeline.ship.settings import REGISTRY, ShipSettings

if TYPE_CHECKING:
    import docker


def registry_of(config: Config, environment: str) -> str:
    """The registry ``environment``'s inventory names, host[:port]; an InputError when none."""
    env = Environment(config, environment)
    found = env.report("registry.yml", {}, f"reading the registry of {environment}")
    address = str(found.get("registry", {}).get("address", ""))
    if not address:
        raise InputError(f"environment {environment} names no registry: set registry_address "
                         f"in {config.display(env.inventory)}/group_vars/all")
    if not REGISTRY.fullmatch(address):
        raise InputError(f"environment {environment}: registry_address {address!r} is not "
                         "host[:port]")
    return address


def push(config: Config, environments: Sequence[str] = ()) -> tuple[str, ...]:
    """Push ``X.Y.Z-build.N``, ``git-<sha>`` and ``latest`` to the registries of
    ``environments`` (default: deploy_environment); return the references pushed."""
    from pipeline.ship import engine  # the docker SDK: the deploy extra, only when pushing

    settings = ShipSettings.from_config(config)
    registries: dict[str, list[str]] = {}
    for name in dict.fromkeys(environments or (settings.deploy_environment,)):
        registries.setdefault(registry_of(config, name), []).append(name)
    client = engine.connect()
    tags = images.image_tags(read_version(config), images.current_commit(config))
    for tag in tags:
        if not engine.has_image(client, f"{settings.image_name}:{tag}"):
            raise StageFailed(f"no local image {settings.image_name}:{tag}: run the build "
                              "stage first")
    for registry in registries:
        login(client, registry)
    pushed = []
    for registry, served in registries.items():
        repository = f"{registry}/{settings.image_name}"
        for tag in tags:
            client.images.get(f"{settings.image_name}:{tag}").tag(repository, tag=tag)
            reference = f"{repository}:{tag}"
            chunks = client.api.push(repository, tag=tag, stream=True, decode=True)
            digest = pushed_digest(engine.stream_progress(chunks,
                                                          f"docker push {reference} to {registry}"))
            pushed.append(reference)
            print(f"pushed {reference} as {digest} (for {', '.join(served)})")
    return tuple(pushed)


def pushed_digest(chunks: Iterable[Mapping[str, Any]]) -> str:
    """The digest the registry gave the manifest a push's ``chunks`` end with: the deploy pins
    the tag to the digest the registry serves for it then, which this one should be."""
    digest = "an unknown digest"
    for chunk in chunks:
        digest = str((chunk.get("aux") or {}).get("Digest", digest))
    return digest


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
