"""The Docker engine, through the docker SDK, and the few calls every shipping stage shares."""
from collections.abc import Iterable, Iterator, Mapping
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
    """Pull ``reference``, showing per-layer progress; False (not an error) when no registry
    can give it."""
    repository, tag = split_reference(reference)
    try:
        chunks = client.api.pull(repository, tag=tag, stream=True, decode=True)
        for _ in stream_progress(chunks, f"docker pull {reference}"):
            pass
    except (APIError, ImageNotFound, StageFailed):
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


class LayerProgress:
    """The engine's per-layer progress as lines a console without a terminal reads well.

    The engine sends a line per layer many times a second (``Pushing [==>   ] 1.2MB/5MB``), made
    for a terminal that redraws it. Here each layer says each new state once, and while a state
    carries a size, its progress at most every ``STEP`` percent: a bounded number of lines per
    layer, whatever its size.
    """

    STEP = 25

    def __init__(self) -> None:
        self.states: dict[str, tuple[str, int]] = {}

    def line(self, chunk: Mapping[str, Any]) -> str | None:
        """What to print for one chunk of a push or pull, or None to say nothing."""
        status = str(chunk.get("status", ""))
        layer = chunk.get("id")
        if not status:
            return None
        if not layer:
            return status
        detail = chunk.get("progressDetail") or {}
        current, total = detail.get("current"), detail.get("total")
        state, reported = self.states.get(layer, ("", -1))
        if status != state:
            reported = -1
        if isinstance(current, int) and isinstance(total, int) and total > 0:
            step = min(current * 100 // total, 100) // self.STEP * self.STEP
            if step <= reported:
                return None
            self.states[layer] = (status, step)
            return f"{layer}: {status} {step}% of {total / 1_000_000:.1f}MB"
        if status == state:
            return None
        self.states[layer] = (status, reported)
        return f"{layer}: {status}"


def stream_progress(chunks: Iterable[dict[str, Any]], action: str) -> Iterator[dict[str, Any]]:
    """Print the engine's progress as it comes (build output as is; push and pull per layer,
    see ``LayerProgress``); an error chunk fails the stage in one line."""
    layers = LayerProgress()
    for chunk in chunks:
        if "error" in chunk:
            reason = " ".join(str(chunk["error"]).split())
            raise StageFailed(f"{action} failed: {reason}")
        text = chunk.get("stream")
        if text:
            print(text, end="", flush=True)
        else:
            line = layers.line(chunk)
            if line is not None:
                print(line, flush=True)
        yield chunk
