"""``python -m bench.fleet``: provision and rolling-deploy figures on a throwaway fleet.

Makes its own fleet (four hosts over SSH, as `make fleet-up` does), then times: provisioning
bare hosts, provisioning again (nothing to change), the first deploy, and a rolling deploy of
the two app hosts under a bounded load through the proxy (requests served and failed), and a
redeploy of what already runs. Removes the fleet and its images at the end, also on failure.
"""
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.cli import parser
from tests.support.derived import derived_image
from tests.support.fleet import REPO_ROOT, FleetStack


def timed(stack: FleetStack, *args: str) -> float:
    """Seconds ``pipeline ARGS`` took; a failure stops the benchmark with its output."""
    started = time.monotonic()
    result = stack.pipeline(*args)
    if result.returncode != 0:
        raise SystemExit(f"pipeline {' '.join(args)} failed:\n{result.stdout[-3000:]}"
                         f"{result.stderr[-2000:]}")
    return time.monotonic() - started


def main(argv: Sequence[str] | None = None) -> None:
    """Print the figures, one per line."""
    parser("bench.fleet", __doc__).parse_args(argv)
    (REPO_ROOT / "build").mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-fleet-", dir=REPO_ROOT / "build"))
    stack = FleetStack(workdir)
    try:
        started = time.monotonic()
        stack.up()
        print(f"fleet up (4 hosts):                   {time.monotonic() - started:6.1f} s",
              flush=True)
        print(f"provision, bare hosts:                {timed(stack, 'provision', 'fleet'):6.1f} s",
              flush=True)
        print(f"provision again (changes nothing):    {timed(stack, 'provision', 'fleet'):6.1f} s",
              flush=True)
        stack.set_build(1)
        timed(stack, "build")
        print(f"push build 1:                         {timed(stack, 'push'):6.1f} s", flush=True)
        print(f"first deploy (2 app hosts):           {timed(stack, 'deploy', 'fleet'):6.1f} s",
              flush=True)
        derived_image(stack.image(1), stack.image(2), 2, "")
        stack.set_build(2)
        timed(stack, "push")
        with stack.page_load() as load:
            seconds = timed(stack, "deploy", "fleet")
        print(f"rolling deploy under load (2 hosts):  {seconds:6.1f} s, "
              f"{load.result.served} requests served, {load.result.failed} failed", flush=True)
        print(f"redeploy of what runs (no change):    {timed(stack, 'deploy', 'fleet'):6.1f} s",
              flush=True)
    finally:
        stack.down()
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
