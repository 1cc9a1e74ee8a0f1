"""``python -m bench.deploy``: build and deploy figures on this machine.

- cold build: every layer rebuilt (``--no-cache``), the wheelhouse already on disk;
- cached build: the same after a code-only change (one line added to the app), which the
  Dockerfile's layer order should make a small fraction of the cold one;
- deploy: an isolated stack provisioned (its database and proxy), build 1 deployed to it, then
  build 2 under a bounded load on 127.0.0.1, with the requests served and failed while it
  switched;
- backup and restore at size: ``--backup-rows`` visitors added (1,000,000 by default), build 3
  deployed (a changed image, so the deploy dumps the database first), then that dump restored
  with ``pipeline restore``, and its size.
Works on a copy of the build context, so the checkout and the `local` deployment are untouched.
"""
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.cli import parser
from tests.support.stack import REGISTRY, REPO_ROOT, ShipStack, remove_images
from pipeline.core import config as config_module
from pipeline.ship import images
from pipeline.core.config import Config

BENCH_IMAGE = "visitors-bench"
CONTEXT = ("setup.cfg", "pyproject.toml", "version.txt", ".dockerignore", "app", "docker",
           "build/wheelhouse")


def timed(action: Callable[[], object]) -> float:
    """Seconds ``action`` took."""
    started = time.monotonic()
    action()
    return time.monotonic() - started


def copy_context(target: Path) -> Config:
    """A copy of what the build reads, as a project of its own."""
    for name in CONTEXT:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name,
                            ignore=shutil.ignore_patterns("__pycache__", "instance"))
        else:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return config_module.load(target, {"PIPELINE_IMAGE_NAME": BENCH_IMAGE})


def build_figures(workdir: Path) -> tuple[float, float]:
    """Cold and cached (code-only change) build seconds."""
    config = copy_context(workdir)
    images.build(config)  # the wheelhouse, and the base image present, before timing
    cold = timed(lambda: images.build(config, no_cache=True))
    with (workdir / "app" / "__init__.py").open("a", encoding="utf-8") as source:
        source.write("# a code-only change for the benchmark\n")
    cached = timed(lambda: images.build(config))
    return cold, cached


def deploy_figures(stack: ShipStack) -> tuple[float, float, float, int, int]:
    """Seconds of the stack's provisioning, of a first deploy and of a redeploy under load;
    requests served and failed during the redeploy."""
    provision = timed(lambda: _check(stack.pipeline("provision", stack.environment)))
    first = timed(lambda: _check(stack.pipeline("run", "--stages", "version,build,deploy")))
    _check(stack.pipeline("run", "--stages", "version,build"))
    with stack.page_load() as load:
        redeploy = timed(lambda: _check(stack.pipeline("deploy", stack.environment)))
    return provision, first, redeploy, load.result.served, load.result.failed


def backup_figures(stack: ShipStack, rows: int) -> tuple[float, float, int]:
    """With ``rows`` more visitors: seconds of the next build's deploy, which dumps them first,
    and of restoring that dump; the dump's bytes."""
    stack.sql("INSERT INTO visitor (ip, visits) SELECT host(inet '10.0.0.0' + n), 1 "
              f"FROM generate_series(1, {rows}) AS n")
    counted = stack.sql("SELECT count(*) FROM visitor")
    _check(stack.pipeline("run", "--stages", "version,build"))
    deploy = timed(lambda: _check(stack.pipeline("deploy", stack.environment)))
    restore = timed(lambda: _check(stack.pipeline("restore", stack.environment, "--yes")))
    if stack.sql("SELECT count(*) FROM visitor") != counted:
        sys.exit(f"bench.deploy: the restore did not bring back the {counted} visitors")
    newest = max(stack.backup_copies.rglob("*.dump"), key=lambda dump: dump.stat().st_mtime)
    return deploy, restore, newest.stat().st_size


def _check(result: "subprocess.CompletedProcess[str]") -> None:
    if result.returncode != 0:
        sys.exit(f"bench.deploy: a step failed:\n{result.stdout[-3000:]}{result.stderr}")


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print the figures."""
    arguments = parser("bench.deploy", __doc__)
    arguments.add_argument("--backup-rows", type=int, default=1_000_000, metavar="N",
                           help="visitors added before the backup and restore (default: "
                                "1,000,000; 0 skips those figures)")
    args = arguments.parse_args(argv)
    if args.backup_rows < 0:
        arguments.error(f"--backup-rows must be 0 or more, got {args.backup_rows}")
    (REPO_ROOT / "build").mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-deploy-", dir=REPO_ROOT / "build"))
    stack = ShipStack(workdir / "stack")
    try:
        cold, cached = build_figures(workdir / "context")
        provision, first, redeploy, served, failed = deploy_figures(stack)
        backup = backup_figures(stack, args.backup_rows) if args.backup_rows else None
    finally:
        stack.destroy()
        remove_images(f"{REGISTRY}/{BENCH_IMAGE}")
        shutil.rmtree(workdir)
    print("\nbench.deploy")
    print(f"  cold build (no cache)        {cold:7.1f} s")
    print(f"  cached build (code change)   {cached:7.1f} s"
          f"   ratio cached/cold {cached / cold:.2f}")
    print(f"  provision (db, proxy)        {provision:7.1f} s")
    print(f"  first deploy (b1)            {first:7.1f} s")
    print(f"  redeploy under load (b2)     {redeploy:7.1f} s")
    print(f"  requests during the redeploy: served {served}, failed {failed}")
    if backup is not None:
        deploy, restore, size = backup
        print(f"  with {args.backup_rows:,} more visitors: deploy (b3, dump first) "
              f"{deploy:7.1f} s, restore {restore:7.1f} s, dump {size / 1e6:.1f} MB")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
