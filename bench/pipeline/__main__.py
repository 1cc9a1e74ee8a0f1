"""``python -m bench.pipeline``: seconds of `make deploy`'s pipeline, per stage, run twice.

On a fresh copy of this checkout's tracked files (no mypy cache, no wheelhouse, no coverage
data: as after a clone), on a machine that already has the base images (`make provision`):

- first: ``pipeline provision --if-changed`` of the stack (its database and proxy made, as
  `make deploy` does on a machine where nothing was deployed), then ``pipeline run`` (every
  stage, lint to deploy);
- again: both again on the same copy, caches warm (provision finds every host as it left
  them and is skipped), build N+1 replacing build N.

Each run deploys to an isolated stack (tests.support.stack: its own containers, port, image
name and version file), so neither this checkout nor the `local` deployment is touched.
Targets, printed beside the figures (not pass/fail): first <= 180 s, again <= 120 s. The CPU
seconds of every process the runs started (not the Docker engine's) say how much of the wall
time is work rather than waiting for a busy machine.
"""
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.cli import parser
from pipeline.core.output import table
from tests.support.stack import REPO_ROOT, ShipStack

TARGETS = {"first": 180.0, "again": 120.0}


def copy_checkout(target: Path) -> None:
    """The tracked files of this checkout, as a clone would have them (with local edits)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO_ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def cpu_seconds() -> float:
    """User and system seconds of this process's finished children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], checkout: Path, env: dict[str, str], log: Path) -> float:
    """Seconds ``command`` took in ``checkout``; its output goes to ``log``."""
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as output:
        result = subprocess.run(command, cwd=checkout, env=env, stdout=output,
                                stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        tail = log.read_text(encoding="utf-8")[-4000:]
        sys.exit(f"bench.pipeline: {' '.join(command[1:])} failed (exit {result.returncode}):"
                 f"\n{tail}")
    return time.monotonic() - started


def deploy_like_make(checkout: Path, stack: ShipStack, logs: Path) -> dict[str, float]:
    """What `make deploy` runs: provision, then every stage; seconds of each and the total."""
    logs.mkdir()
    cpu = cpu_seconds()
    provision = timed(stack.command("provision", stack.environment, "--if-changed"), checkout,
                      stack.env(), logs / "provision.log")
    run = timed(stack.command("run"), checkout, stack.env(), logs / "run.log")
    records = json.loads((stack.reports / "pipeline.json").read_text(encoding="utf-8"))
    stages = {record["name"]: record["seconds"] for record in records["stages"]}
    return {"provision": provision, **stages, "total": provision + run,
            "cpu seconds": cpu_seconds() - cpu}


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print the figures."""
    parser("bench.pipeline", __doc__).parse_args(argv)
    (REPO_ROOT / "build").mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-pipeline-", dir=REPO_ROOT / "build"))
    checkout = workdir / "checkout"
    checkout.mkdir()
    copy_checkout(checkout)
    (workdir / "stack").mkdir()
    stack = ShipStack(workdir / "stack")
    try:
        first = deploy_like_make(checkout, stack, workdir / "first")
        again = deploy_like_make(checkout, stack, workdir / "again")
    finally:
        stack.destroy()
        shutil.rmtree(workdir)
    rows = [(name, f"{first[name]:.1f}", f"{again[name]:.1f}") for name in first]
    rows.insert(-1, ("target", f"{TARGETS['first']:.0f}", f"{TARGETS['again']:.0f}"))
    print("\nbench.pipeline: `make deploy`, seconds (machine with base images; a fresh copy of "
          "this checkout, then again)")
    print(table(("step", "first", "again"), rows, right=("first", "again")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
