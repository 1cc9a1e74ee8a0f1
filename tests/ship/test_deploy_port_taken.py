"""A release whose port another process holds: the deploy fails in one line that says why (the
engine's reason, not its API's URL), leaves nothing behind, and the next deploy serves."""
import re
import socket

import pytest

from tests.support.stack import ShipStack

pytestmark = pytest.mark.slow


def test_a_port_held_by_another_process_fails_the_release_with_the_engines_reason(
        stack: ShipStack) -> None:
    provisioned = stack.pipeline("provision", stack.environment)
    assert provisioned.returncode == 0, provisioned.stdout[-4000:] + provisioned.stderr
    port = stack.app_ports[0]  # the first release's
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        failed = stack.pipeline("run", "--stages", "version,build,push,deploy")

    output = failed.stdout + failed.stderr
    error = output.strip().splitlines()[-1]
    assert failed.returncode == 1, output[-4000:]
    assert error.startswith(
        "pipeline: error: pipeline failed at deploy: deploy of build 1 to shiptest failed on "
        "host localhost at task 'app : Fail the release': build 1 was not released on "
        "localhost: 'Start the new release beside the old one and wait until it is healthy' "
        "failed (Error starting container "), error
    assert f"{port}" in error and "address already in use" in error, error
    assert error.endswith("nothing keeps serving"), error
    assert not re.search(r"[0-9a-f]{13,}|http\+docker", error), error
    assert stack.app_builds() == []
    assert not stack.lock_file.exists()

    served = stack.pipeline("run", "--stages", "deploy")

    assert served.returncode == 0, served.stdout[-4000:] + served.stderr
    assert stack.app_builds() == [1]
    assert stack.version_served()["build"] == 1
