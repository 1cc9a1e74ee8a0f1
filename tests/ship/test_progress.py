"""Per-layer progress of push and pull, as Jenkins' console shows it (no terminal to redraw).

The slow tests push a small image of their own (one layer of random bytes, so nothing is
shared with other images) under a throwaway repository of the local registry, with the real
push stage, then pull it back through the engine module.
"""
import io
import os
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from typing import Any
from pathlib import Path

import docker
import pytest
from docker.errors import ImageNotFound

from pipeline.core import config as config_module
from pipeline.core.errors import StageFailed
from pipeline.core.version import parse
from pipeline.ship import engine, images
from bench.ports import free_port
from tests.support.stack import REGISTRY, REPO_ROOT

LAYER_BYTES = 8_000_000
VERSION = "0.1.0+build.7"
# Per layer and state: the state once, then at most 0, 25, 50, 75 and 100 %.
MOST_LINES_PER_LAYER_STATE = 5


def progress_lines(chunks: list[dict[str, Any]]) -> list[str]:
    layers = engine.LayerProgress()
    return [line for line in map(layers.line, chunks) if line is not None]


def test_each_state_once_and_progress_every_quarter() -> None:
    chunks: list[dict[str, Any]] = [
        {"status": "The push refers to repository [r/x]"},
        {"status": "Preparing", "progressDetail": {}, "id": "aaa"},
        {"status": "Waiting", "progressDetail": {}, "id": "aaa"},
        {"status": "Waiting", "progressDetail": {}, "id": "aaa"},
        *({"status": "Pushing", "progressDetail": {"current": done, "total": 4_000_000},
           "progress": "[==>   ]", "id": "aaa"} for done in range(0, 4_200_000, 100_000)),
        {"status": "Layer already exists", "progressDetail": {}, "id": "bbb"},
        {"status": "Pushed", "progressDetail": {}, "id": "aaa"},
        {"progressDetail": {}, "aux": {"Tag": "1", "Digest": "sha256:0", "Size": 1}}]
    assert progress_lines(chunks) == [
        "The push refers to repository [r/x]", "aaa: Preparing", "aaa: Waiting",
        "aaa: Pushing 0% of 4.0MB", "aaa: Pushing 25% of 4.0MB", "aaa: Pushing 50% of 4.0MB",
        "aaa: Pushing 75% of 4.0MB", "aaa: Pushing 100% of 4.0MB", "bbb: Layer already exists",
        "aaa: Pushed"]


def test_an_error_fails_the_stage_in_one_line() -> None:
    chunks: list[dict[str, Any]] = [
        {"status": "Preparing", "progressDetail": {}, "id": "aaa"},
        {"error": "denied:\n  requested access\tto the resource is denied\n"}]
    with pytest.raises(StageFailed) as raised:
        list(engine.stream_progress(iter(chunks), "docker push r/x:1"))
    assert str(raised.value) == ("docker push r/x:1 failed: denied: requested access to the "
                                 "resource is denied")


class OwnImage:
    """A one-layer image tagged as the build stage tags ``image_name`` at VERSION."""

    def __init__(self, workdir: Path) -> None:
        self.client = docker.from_env()
        self.image_name = f"progress-{uuid.uuid4().hex[:8]}"
        self.workdir = workdir
        self.version_file = workdir / "version.txt"
        self.version_file.write_text(VERSION + "\n", encoding="utf-8")
        self.reports = workdir / "reports"
        self.tags = images.image_tags(parse(VERSION),
                                      images.current_commit(config_module.load(REPO_ROOT)))
        context = io.BytesIO()
        with tarfile.open(fileobj=context, mode="w") as archive:
            for name, data in {"Dockerfile": b"FROM scratch\nCOPY blob /blob\n",
                               "blob": os.urandom(LAYER_BYTES)}.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
        context.seek(0)
        self.image, _ = self.client.images.build(fileobj=context, custom_context=True, rm=True)
        for tag in self.tags:
            self.image.tag(self.image_name, tag=tag)

    def push(self, registry: str) -> subprocess.CompletedProcess[str]:
        """The real push stage, to an environment whose inventory names ``registry``."""
        inventory = self.workdir / "inventories" / "test"
        (inventory / "group_vars" / "all").mkdir(parents=True, exist_ok=True)
        (inventory / "hosts.yml").write_text(
            "all:\n  hosts:\n    localhost: {ansible_connection: local}\n", encoding="utf-8")
        (inventory / "group_vars" / "all" / "main.yml").write_text(
            f"registry_address: {registry}\n", encoding="utf-8")
        env = {**os.environ, "PIPELINE_IMAGE_NAME": self.image_name,
               "PIPELINE_INVENTORIES_DIR": str(inventory.parent),
               "PIPELINE_DEPLOY_ENVIRONMENT": "test",
               "PIPELINE_VERSION_FILE": str(self.version_file),
               "PIPELINE_REPORTS_DIR": str(self.reports)}
        return subprocess.run([sys.executable, "-m", "pipeline", "push"], cwd=REPO_ROOT,
                              env=env, text=True, capture_output=True, timeout=300,
                              check=False)

    def remove(self) -> None:
        """Every tag of the image, and with them its layer."""
        for image in self.client.images.list():
            for tag in image.tags:
                if tag.rpartition("/")[2].startswith(f"{self.image_name}:"):
                    self.client.images.remove(tag, force=True)
        try:
            self.client.images.remove(self.image.id, force=True)
        except ImageNotFound:
            pass


@pytest.fixture
def own_image(tmp_path: Path) -> Iterator[OwnImage]:
    made = None
    try:
        made = OwnImage(tmp_path)
        yield made
    finally:
        if made is not None:
            made.remove()


def layer_lines(output: str) -> dict[str, list[str]]:
    """The per-layer lines of ``output`` (``ID: ...``), by layer."""
    found: dict[str, list[str]] = {}
    for line in output.splitlines():
        layer, colon, rest = line.partition(": ")
        if colon and len(layer) == 12 and all(c in "0123456789abcdef" for c in layer):
            found.setdefault(layer, []).append(rest)
    return found


def bounded(lines: list[str]) -> bool:
    states = [line.split(" ")[0] for line in lines]
    return all(states.count(state) <= MOST_LINES_PER_LAYER_STATE for state in set(states))


@pytest.mark.slow
def test_push_and_pull_show_each_layer_in_bounded_lines(
        own_image: OwnImage, capsys: pytest.CaptureFixture[str]) -> None:
    repository = f"{REGISTRY}/{own_image.image_name}"
    result = own_image.push(REGISTRY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "\r" not in result.stdout and "[=" not in result.stdout
    first, *others = result.stdout.split("\npushed ")
    ((layer, pushed),) = layer_lines(first).items()
    assert pushed[0] == "Preparing" and pushed[-1] == "Pushed"
    assert f"Pushing 100% of {LAYER_BYTES / 1_000_000:.1f}MB" in pushed
    assert bounded(pushed)
    # The other tags find the layer there already.
    assert [layer_lines(other)[layer] for other in others[:-1]] == [
        ["Preparing", "Layer already exists"]] * (len(own_image.tags) - 1)

    own_image.remove()
    assert engine.try_pull(own_image.client, f"{repository}:{own_image.tags[0]}")
    # A pull names the layer by its compressed blob, a push by its content: other ids.
    ((_, pulled),) = layer_lines(capsys.readouterr().out).items()
    assert pulled[0] == "Pulling fs layer" and pulled[-1] == "Pull complete"
    # From a registry on loopback the download is over before a second progress report.
    assert any(line.startswith("Downloading ") for line in pulled), pulled
    assert f"Extracting 100% of {LAYER_BYTES / 1_000_000:.1f}MB" in pulled
    assert bounded(pulled)


@pytest.mark.slow
def test_a_push_that_fails_says_why_in_one_line(own_image: OwnImage) -> None:
    registry = f"127.0.0.1:{free_port()}"
    result = own_image.push(registry)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"pipeline: error: docker push {registry}/{own_image.image_name}:"
                           f"{own_image.tags[0]} to {registry} failed: ")
    assert "pushed" not in result.stdout
