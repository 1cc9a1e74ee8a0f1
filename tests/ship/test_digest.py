"""Deploys pin the build's tag to its digest in the registry, and check what runs.

A build number can be pushed again with other content (a retried build, a rebuilt image): a
host that pulled only when it lacked the tag kept serving the old content, and /version, which
compared only the build number, could not tell. Everything is real: the local stack, its
registry on 127.0.0.1:5000, the playbooks.
"""
import json
import re
import subprocess

import docker
import pytest

from tests.support.derived import derived_image, push
from tests.support.stack import REGISTRY, ShipStack

pytestmark = pytest.mark.slow


def output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout[-4000:] + result.stderr


def deploy_build(stack: ShipStack, build: int) -> subprocess.CompletedProcess[str]:
    """Deploy build BUILD, then leave the stack's version file at build 1 again."""
    stack.set_build(build)
    try:
        return stack.pipeline("deploy", stack.environment)
    finally:
        stack.set_build(1)


def serving(stack: ShipStack) -> "docker.models.containers.Container":
    """The stack's one release container."""
    (container,) = docker.from_env().containers.list(
        filters={"label": f"pipeline-stack={stack.name}"})
    return container


@pytest.fixture(scope="module")
def first(stack: ShipStack) -> str:
    """Build 1 built, pushed and deployed; returns the image id that serves."""
    provisioned = stack.pipeline("provision", stack.environment)
    assert provisioned.returncode == 0, output(provisioned)
    stack.set_build(1)
    deployed = stack.pipeline("run", "--stages", "build,push,deploy")
    assert deployed.returncode == 0, output(deployed)
    return str(serving(stack).image.id)


@pytest.fixture(scope="module")
def repushed(stack: ShipStack, first: str
             ) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    """Build 1 rebuilt (another build time: other content) and pushed under the same tag; the
    host's tag put back on the old image, as a host that pulled build 1 before has it; then
    build 1 deployed again. Returns the push's output and the deploy."""
    rebuilt = stack.pipeline("run", "--stages", "build,push")
    assert rebuilt.returncode == 0, output(rebuilt)
    client = docker.from_env()
    assert client.images.get(stack.image(1)).id != first, "the rebuild made the same image"
    client.images.get(first).tag(*stack.image(1).rsplit(":", 1))
    return rebuilt, stack.pipeline("deploy", stack.environment)


def test_a_tag_pushed_again_is_pulled_by_its_new_digest_and_runs(
        stack: ShipStack, first: str,
        repushed: tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]
        ) -> None:
    pushed, deployed = repushed
    assert deployed.returncode == 0, output(deployed)
    found = re.search(rf"pushed {re.escape(stack.image(1))} as (sha256:[0-9a-f]{{64}})",
                      pushed.stdout)
    assert found, pushed.stdout[-2000:]
    pinned = f"{REGISTRY}/{stack.image_name}@{found.group(1)}"
    container = serving(stack)
    assert container.image.id != first
    assert pinned in container.image.attrs["RepoDigests"]
    assert container.attrs["Config"]["Image"] == pinned
    assert stack.version_served()["build"] == 1
    history = json.loads((stack.state_dir / "releases.json").read_text(encoding="utf-8"))
    assert [(record["build"], record["image"]) for record in history] == [(1, pinned)]


def test_a_build_the_registry_lacks_is_one_line_and_changes_nothing(
        stack: ShipStack,
        repushed: tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]
        ) -> None:
    before = serving(stack).id
    result = deploy_build(stack, 7)
    assert result.returncode == 2, output(result)
    assert result.stderr.strip().splitlines()[-1].endswith(
        f"the registry has no {stack.image(7)}: push that build first (pipeline push); "
        "nothing was changed")
    assert serving(stack).id == before
    assert not stack.lock_file.exists()


def test_a_release_reporting_another_version_of_its_build_is_not_released(
        stack: ShipStack,
        repushed: tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]
        ) -> None:
    """Build 2 that says it is 9.9.9+build.2, where the deploy ships 0.1.0+build.2."""
    before = serving(stack).id
    derived_image(stack.image(1), stack.image(2), 2, "ENV APP_VERSION=9.9.9+build.2")
    push(stack.image(2))
    result = deploy_build(stack, 2)
    assert result.returncode == 1, output(result)
    error = result.stderr.strip().splitlines()[-1]
    assert "/version reports build 2 (version 9.9.9+build.2), not build 2 (version " \
        "0.1.0+build.2)" in error, error
    assert serving(stack).id == before
    assert stack.version_served()["build"] == 1
