"""The Docker engine, through the docker SDK, and the few calls every shipping stage shares."""
from collections.abc import Iterable, Iterator
from typing import Any

import docker
from docker.errors import APIError, DockerException, ImageNotFound

from pipeline.core.errors import StageFailed


def connect() -> docker.DockerClient:
    """A client of the local engine; an engine that does not answer fails the stage clearly."""
    try:
        client = docker.from_env()
        client.ping()
    except DockerException as error:
        raise StageFailed(f"the Docker engine does not answer ({error}); "
                          "prepare this machine with `make provision`") from error
    return client


def has_image(client: docker.DockerClient, reference: str) -> bool:
    """Whether the engine already holds ``reference``."""
    try:
        client.images.get(reference)
    except ImageNotFound:
        return False
    return True


def split_reference(reference: str) -> tuple[str, str]:
    """``host:5000/name:tag`` -> (``host:5000/name``, ``tag``); no tag means ``latest``."""
    repository, colon, tag = reference.rpartition(":")
    if not colon or "/" in tag:
        return reference, "latest"
    return repository, tag


def try_pull(client: docker.DockerClient, reference: str) -> bool:
    """Pull ``reference``; False (not an error) when no registry can give it."""
    repository, tag = split_reference(reference)
    try:
        client.images.pull(repository, tag=tag)
    except (APIError, ImageNotFound):
        return False
    return True


def pick_base_image(client: docker.DockerClient, wanted: str, fallback: str) -> str:
    """The configured base image when present or pullable, else the locally built fallback."""
    if has_image(client, wanted) or try_pull(client, wanted):
        return wanted
    if has_image(client, fallback):
        print(f"base image {wanted} cannot be pulled: using the local {fallback}")
        return fallback
    raise StageFailed(f"base image {wanted} cannot be pulled and the local fallback {fallback} "
                      "is missing; build it with `make provision`")


def stream_progress(chunks: Iterable[dict[str, Any]], action: str) -> Iterator[dict[str, Any]]:
    """Print the engine's progress lines as they come; an error chunk fails the stage."""
    for chunk in chunks:
        if "error" in chunk:
            raise StageFailed(f"{action} failed: {str(chunk['error']).strip()}")
        text = chunk.get("stream")
        if text:
            print(text, end="", flush=True)
        elif "status" in chunk and "progressDetail" not in chunk:
            detail = f" {chunk['id']}" if "id" in chunk else ""
            print(f"{chunk['status']}{detail}", flush=True)
        yield chunk
