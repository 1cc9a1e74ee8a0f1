"""The library's template builds a service no one here wrote, on the real Docker engine.

devops-test (/work/shared/foreign) is adopted as a team would adopt the pipeline in its own
repository: a copy, one [pipeline] block in its setup.cfg (its WSGI app, and the SQLAlchemy
bound its requirements.txt lacks), no Dockerfile. The image built from the template answers
``/version`` with the copy's version.txt, so the template carries nothing of the reference app.
"""
import json
import shutil
import stat
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

from bench.ports import free_port
from pipeline.core import config as config_module
from pipeline.ship import images

pytestmark = pytest.mark.slow
FOREIGN = Path(__file__).resolve().parents[3] / "shared" / "foreign" / "devops-test"
VERSION = "1.0.2+build.7"
ADOPTION = """
[pipeline]
stages = build
image_name = devops-test-template
wsgi = app:app
constraints = SQLAlchemy<1.4.46
wheelhouse_dir = build/wheelhouse
"""


@pytest.fixture
def devops_test(tmp_path: Path) -> Path:
    """A writable copy of devops-test, adopted, at build 7 of its version."""
    if not FOREIGN.is_dir():
        pytest.skip("the foreign services are not here")
    root = tmp_path / "devops-test"
    shutil.copytree(FOREIGN, root)
    for path in (root, *root.rglob("*")):
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    with (root / "setup.cfg").open("a", encoding="utf-8") as setup_cfg:
        setup_cfg.write(ADOPTION)
    (root / "version.txt").write_text(f"{VERSION}\n", encoding="utf-8")
    # What a team's checkout also holds, none of which may reach an image layer.
    for private in (".git/HEAD", "ansible/inventories/local/group_vars/all/vault.yml",
                    "reports/junit.xml", ".venv/pyvenv.cfg", "build/other/leftover"):
        (root / private).parent.mkdir(parents=True, exist_ok=True)
        (root / private).write_text("private\n", encoding="utf-8")
    return root


@pytest.fixture
def built(provisioned: None, devops_test: Path) -> Iterator[images.BuiltImage]:
    """The copy's image, built with the library's template; removed afterwards."""
    import docker

    image = images.build(config_module.load(devops_test, {}))
    yield image
    client = docker.from_env()
    for reference in image.references:
        client.images.remove(reference, noprune=False)


def get_json(url: str, deadline: float) -> Any:
    """``url``'s JSON body, retried until the container serves or ``deadline`` passes."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.load(response)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_the_template_builds_and_runs_a_foreign_service(built: images.BuiltImage) -> None:
    import docker

    client = docker.from_env()
    image = client.images.get(built.image_id)
    labels = image.labels
    assert (labels["pipeline.build"], labels["org.opencontainers.image.version"]) == (
        "7", VERSION)
    assert labels["org.opencontainers.image.title"] == "devops-test-template"
    assert image.attrs["Config"]["User"] == "10001:10001"
    assert image.attrs["Config"]["Cmd"] == ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]
    port = free_port()
    container = client.containers.run(built.image_id, detach=True,
                                      ports={"8000/tcp": ("127.0.0.1", port)})
    try:
        body = get_json(f"http://127.0.0.1:{port}/version", time.monotonic() + 60)
        assert body == {"version": VERSION}
    finally:
        container.remove(force=True)
    walk = ("import json, os; print(json.dumps(sorted(os.path.join(d, f)[2:] "
            "for d, _, fs in os.walk('.') for f in fs)))")
    shipped = json.loads(client.containers.run(built.image_id, ["python", "-c", walk],
                                               remove=True))
    assert {"app.py", "version.txt", "migrations/env.py"} <= set(shipped)
    private = [path for path in shipped if path.startswith(
        (".git/", ".venv/", "ansible/", "reports/", "build/other/"))]
    assert not private
