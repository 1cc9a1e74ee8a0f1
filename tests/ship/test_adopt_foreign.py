"""A service no one here wrote, adopted as a team would: the proof that the library is one.

devops-test (../shared/foreign) is copied into a git repository of its own; this library is
installed from the checkout into a fresh virtualenv beside the service's own requirements (as
the service's README says to install them); `pipeline init` writes its configuration, to which
two lines are added (its mypy fails as published, and its requirements let in an SQLAlchemy it
breaks on); then its own `local` environment, beside the reference app's, is provisioned and
the whole pipeline runs twice: build 1 serves through the proxy, then build 2 replaces it under
load with no failed request. No line of the service's code changes.
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from bench.ports import free_port, is_free
from tests.support.load import Load
from tests.support.stack import REPO_ROOT, remove_images

pytestmark = pytest.mark.slow
FOREIGN = REPO_ROOT.parent / "shared" / "foreign" / "devops-test"
# What a team adds to what init wrote: each replaces init's commented default.
ADDED = {
    "# stages = lint, typecheck, test, version, build, push, deploy":
        "# mypy fails on the service as published (untyped helpers): no typecheck stage.\n"
        "stages = lint, test, version, build, push, deploy",
    "# constraints =":
        "# Flask-SQLAlchemy 2.5 breaks on SQLAlchemy 2, which requirements.txt lets in.\n"
        "constraints = SQLAlchemy<1.4.46",
}
# The proxy port and the eight after it (releases, status page, monitoring): see pipeline init.
PORTS_TAKEN = 9
TIMEOUT = 900


def proxy_port() -> int:
    """A port P such that P to P+8 are free on 127.0.0.1."""
    for _ in range(50):
        port = free_port()
        if port + PORTS_TAKEN < 65536 and all(is_free(port + step)
                                              for step in range(1, PORTS_TAKEN)):
            return port
    raise RuntimeError("no nine free ports in a row on 127.0.0.1")


class Adopter:
    """The copy of devops-test, its virtualenv, and the commands a team runs in it."""

    def __init__(self, root: Path, venv: Path) -> None:
        self.root = root
        self.venv = venv

    def pipeline(self, *args: str, build: int | None = None) -> subprocess.CompletedProcess[str]:
        """The installed library's CLI, run in the service's repository."""
        env = {name: value for name, value in os.environ.items()
               if not name.startswith(("PIPELINE_", "BUILD_NUMBER"))}
        if build is not None:
            env["BUILD_NUMBER"] = str(build)
        return subprocess.run([str(self.venv / "bin" / "pipeline"), *args], cwd=self.root,
                              env=env, stdin=subprocess.DEVNULL, text=True, capture_output=True,
                              timeout=TIMEOUT, check=False)


def git(root: Path, *args: str) -> None:
    """``git ARGS`` in ``root``, as a throwaway identity."""
    subprocess.run(["git", "-c", "user.name=adopter", "-c", "user.email=adopter@localhost",
                    *args], cwd=root, check=True, capture_output=True, timeout=60)


def installed(venv: Path, service: Path) -> None:
    """This library from the checkout, and the service's own requirements, in a new venv."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet",
                    "--disable-pip-version-check", f"{REPO_ROOT}[deploy]",
                    "-r", str(service / "requirements.txt"),
                    "-r", str(service / "requirements.test.txt")],
                   check=True, capture_output=True, timeout=1200)


@pytest.fixture(scope="module")
def adopter(provisioned: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Adopter]:
    """devops-test adopted and provisioned as a stack of its own; destroyed afterwards."""
    if not FOREIGN.is_dir():
        pytest.fail(f"{FOREIGN} is missing: the foreign services come with ../shared")
    work = tmp_path_factory.mktemp("adopt")
    root = work / "devops-test"
    shutil.copytree(FOREIGN, root)
    for path in (root, *root.rglob("*")):
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    git(root, "init", "--quiet")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--message", "devops-test as published")
    installed(work / "venv", root)
    team = Adopter(root, work / "venv")
    name = f"devops-test-{uuid.uuid4().hex[:6]}"
    try:
        init = team.pipeline("init", "--name", name, "--proxy-port", str(proxy_port()))
        assert init.returncode == 0, init.stdout + init.stderr
        setup_cfg = root / "setup.cfg"
        text = setup_cfg.read_text(encoding="utf-8")
        for commented, active in ADDED.items():
            assert text.count(commented) == 1, commented
            text = text.replace(commented, active)
        setup_cfg.write_text(text, encoding="utf-8")
        git(root, "add", "--all")
        git(root, "commit", "--quiet", "--message", "Adopt the pipeline")
        provision = team.pipeline("provision", "local")
        assert provision.returncode == 0, provision.stdout[-3000:] + provision.stderr
        yield team
    finally:
        team.pipeline("destroy", "local", "--volumes")
        remove_images(f"127.0.0.1:5000/{name}")


def url(team: Adopter, path: str = "/") -> str:
    """A URL of the service's own proxy on loopback."""
    return (team.root / "reports" / "url-local.txt").read_text(encoding="utf-8").strip() \
        .rstrip("/") + path


def get(address: str) -> str:
    with urllib.request.urlopen(address, timeout=10) as response:
        return response.read().decode("utf-8")


def test_the_adopted_service_changed_no_line_of_its_code(adopter: Adopter) -> None:
    changed = subprocess.run(["git", "diff", "--name-only", "HEAD~1", "HEAD"], cwd=adopter.root,
                             text=True, capture_output=True, check=True).stdout.split()
    assert set(changed) == {"setup.cfg", "Jenkinsfile", "ansible/inventories/local/hosts.yml",
                            "ansible/inventories/local/group_vars/all/main.yml",
                            *(f"ansible/inventories/.examples/{env}/{name}"
                              for env in ("staging", "production")
                              for name in ("hosts.yml", "group_vars/all/main.yml"))}


def test_the_first_run_serves_the_service_with_its_build_number(adopter: Adopter) -> None:
    run = adopter.pipeline("run", build=1)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    assert (adopter.root / "version.txt").read_text() == "1.0.2+build.1\n"
    assert json.loads(get(url(adopter, "/version"))) == {"version": "1.0.2+build.1"}
    page = get(url(adopter))
    assert "v1.0.2+build.1" in page
    assert "You have visited this page 1 times" in page, page


def test_the_second_run_replaces_it_under_load_with_no_failed_request(adopter: Adopter) -> None:
    with Load(url(adopter), workers=4, max_seconds=600) as load:
        run = adopter.pipeline("run", build=2)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    assert load.result.served > 0
    assert (load.result.failed, load.result.errors) == (0, [])
    assert json.loads(get(url(adopter, "/version"))) == {"version": "1.0.2+build.2"}
