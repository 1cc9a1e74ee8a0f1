"""The multi-host path for real: four hosts over SSH, each with its own Docker engine.

One fleet for the module (proxy-1 also runs the registry, app-1, app-2, db-1), provisioned by
`pipeline provision fleet`, taken through a release history in order: build 1, build 2 under
load through the proxy, an image that never turns healthy, a deploy with app-2 down, a
rollback, a restore; plus the registry's and the vault's refusals.
"""
import hashlib
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.load import Load, LoadResult, ask
from tests.support.derived import NEVER_HEALTHY, derived_image
from tests.support.fleet import REPO_ROOT, FleetStack

# Provisioning four bare hosts takes minutes: the module's fixtures get more than one test's time.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400),
              pytest.mark.tools("mmdebstrap", "ssh")]


def output(result: subprocess.CompletedProcess[str]) -> str:
    """What a run printed, for assertion messages."""
    return (result.stdout[-3000:] + result.stderr[-2000:]).strip()


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one error line a failed run ends with."""
    return result.stderr.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def fleet(provisioned: None) -> Iterator[FleetStack]:
    """A provisioned fleet, removed afterwards whatever happened."""
    (REPO_ROOT / "build").mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="fleet-", dir=REPO_ROOT / "build"))
    stack = FleetStack(workdir)
    try:
        stack.up()
        result = stack.pipeline("provision", "fleet")
        assert result.returncode == 0, output(result)
        yield stack
    finally:
        stack.down()
        shutil.rmtree(workdir)


@pytest.fixture(scope="module")
def reprovisioned(fleet: FleetStack) -> subprocess.CompletedProcess[str]:
    """`pipeline provision fleet` a second time."""
    return fleet.pipeline("provision", "fleet")


def served(fleet: FleetStack) -> dict[str, Any]:
    """`pipeline status fleet --json`."""
    result = fleet.pipeline("status", "fleet", "--json")
    assert result.returncode == 0, output(result)
    status = json.loads(result.stdout)
    assert isinstance(status, dict)
    return status


def serving_builds(fleet: FleetStack) -> dict[str, int]:
    """Each app host's serving build."""
    return {host["host"]: host["serving_build"] for host in served(fleet)["hosts"]}


def under_load(fleet: FleetStack, *args: str) -> tuple[subprocess.CompletedProcess[str],
                                                       LoadResult]:
    """Run the CLI while a bounded load asks the proxy for /version."""
    with Load(fleet.url("/version"), workers=3, max_seconds=600,
              own_hosts=frozenset(fleet.addresses.values())) as load:
        time.sleep(1)
        result = fleet.pipeline(*args)
        time.sleep(1)
    return result, load.result


@pytest.fixture(scope="module")
def first(fleet: FleetStack) -> subprocess.CompletedProcess[str]:
    """Build 1 built, pushed with the fleet's registry login, deployed."""
    fleet.set_build(1)
    return fleet.pipeline("run", "--stages", "build,push,deploy")


def deploy_derived(fleet: FleetStack, build: int, dockerfile_tail: str
                   ) -> tuple[subprocess.CompletedProcess[str], LoadResult]:
    """Build ``build``: the previous build's image reporting ``build``, plus
    ``dockerfile_tail``, pushed, then deployed under load through the proxy."""
    derived_image(fleet.image(build - 1), fleet.built(build), build, dockerfile_tail)
    fleet.set_build(build)
    pushed = fleet.pipeline("push")
    assert pushed.returncode == 0, output(pushed)
    return under_load(fleet, "deploy", "fleet")


@pytest.fixture(scope="module")
def second(fleet: FleetStack, first: subprocess.CompletedProcess[str]
           ) -> tuple[subprocess.CompletedProcess[str], LoadResult]:
    """Build 2 (build 1's image, reporting 2) deployed under load through the proxy."""
    assert first.returncode == 0, output(first)
    with urllib.request.urlopen(fleet.url("/"), timeout=10):
        pass  # a visit, so the database has a row to back up and restore
    return deploy_derived(fleet, 2, "")


@pytest.fixture(scope="module")
def unhealthy(fleet: FleetStack, second: tuple[subprocess.CompletedProcess[str], LoadResult]
              ) -> tuple[subprocess.CompletedProcess[str], LoadResult]:
    """Build 3: an image whose healthcheck never passes."""
    return deploy_derived(fleet, 3, NEVER_HEALTHY)


@pytest.fixture(scope="module")
def host_down(fleet: FleetStack, unhealthy: tuple[subprocess.CompletedProcess[str], LoadResult]
              ) -> subprocess.CompletedProcess[str]:
    """Build 3 again, with app-2's host stopped (started again afterwards)."""
    fleet.host("app-2").stop(timeout=5)
    try:
        return fleet.pipeline("deploy", "fleet", timeout=600)
    finally:
        fleet.host("app-2").start()  # its engine starts at boot, its release with it
        deadline = time.monotonic() + 120
        while fleet.host("app-2").exec_run(["docker", "info"]).exit_code != 0:
            assert time.monotonic() < deadline, "app-2's engine did not start again"
            time.sleep(1)


@pytest.fixture(scope="module")
def rolled_back(fleet: FleetStack, host_down: subprocess.CompletedProcess[str]
                ) -> tuple[subprocess.CompletedProcess[str], LoadResult]:
    """Back from build 2 to build 1 across the fleet, under load."""
    return under_load(fleet, "rollback", "fleet")


@pytest.fixture(scope="module")
def restored(fleet: FleetStack, rolled_back: tuple[subprocess.CompletedProcess[str], LoadResult]
             ) -> tuple[subprocess.CompletedProcess[str], str, str]:
    """Rows changed after the last backup, then the newest backup restored."""
    before = fleet.sql("SELECT ip, visits FROM visitor ORDER BY ip")
    fleet.sql("DELETE FROM visitor")
    return fleet.pipeline("restore", "fleet", "--yes"), before, \
        fleet.sql("SELECT ip, visits FROM visitor ORDER BY ip")


def test_a_second_provision_changes_nothing(
        reprovisioned: subprocess.CompletedProcess[str]) -> None:
    assert reprovisioned.returncode == 0, output(reprovisioned)
    assert reprovisioned.stdout.strip().splitlines()[-1] == "provisioned fleet: 0 changes"


def test_the_database_listens_on_its_private_address_for_the_app_hosts_only(
        fleet: FleetStack, reprovisioned: subprocess.CompletedProcess[str]) -> None:
    published = fleet.on_host("db-1", "docker", "port", "visitors-db")
    assert published == f"5432/tcp -> {fleet.addresses['db-1']}:5432"
    rules = fleet.on_host("db-1", "cat", "/var/lib/visitors/postgres/pg_hba.conf")
    clients = sorted(line.split()[3] for line in rules.splitlines()
                     if line.startswith("host") and line.split()[3] != "samenet")
    assert clients == sorted(f"{fleet.addresses[host]}/32" for host in ("app-1", "app-2"))


def test_build_1_is_pushed_with_the_login_and_served_by_both_app_hosts(
        fleet: FleetStack, first: subprocess.CompletedProcess[str]) -> None:
    assert first.returncode == 0, output(first)
    assert serving_builds(fleet) == {"app-1": 1, "app-2": 1}
    status = served(fleet)
    assert status["url"] == fleet.url("/")
    assert status["lock"] is None


def test_prometheus_on_the_monitoring_host_scrapes_every_host_and_both_app_releases(
        fleet: FleetStack, first: subprocess.CompletedProcess[str]) -> None:
    assert first.returncode == 0, output(first)
    expected = {("alertmanager", "proxy-1"), ("prometheus", "proxy-1"), ("nginx", "proxy-1"),
                ("postgres", "db-1"), ("app", "app-1"), ("app", "app-2"),
                *(("node", host) for host in ("proxy-1", "app-1", "app-2", "db-1"))}
    url = f"http://{fleet.addresses['proxy-1']}:9090/api/v1/targets?state=active"
    deadline = time.monotonic() + 120
    while True:
        with urllib.request.urlopen(url, timeout=10) as response:
            targets = json.load(response)["data"]["activeTargets"]
        up = {(target["labels"]["job"], target["labels"]["instance"]) for target in targets
              if target["health"] == "up"}
        if expected <= up or time.monotonic() > deadline:
            break
        time.sleep(2)
    # What Prometheus says of the missing ones: not discovered at all, or down and why.
    assert expected <= up, {
        (job, instance): [(target["scrapeUrl"], target["health"], target["lastError"])
                          for target in targets
                          if (target["labels"]["job"], target["labels"]["instance"])
                          == (job, instance)]
        for job, instance in sorted(expected - up)}
    alerts = served(fleet)["alerts"]
    assert alerts["enabled"] and not alerts["error"], alerts


def test_build_2_rolls_out_under_load_without_a_failed_request(
        fleet: FleetStack, second: tuple[subprocess.CompletedProcess[str], LoadResult]) -> None:
    result, load = second
    assert result.returncode == 0, output(result)
    assert load.failed == 0, load.errors
    assert load.served > 50 and load.builds == {1, 2}
    assert serving_builds(fleet) == {"app-1": 2, "app-2": 2}
    assert ask(fleet.url("/metrics"))[0] == 404
    assert ask(fleet.url("/readyz"))[0] == 404


def test_a_never_healthy_image_stops_at_the_first_host(
        fleet: FleetStack, unhealthy: tuple[subprocess.CompletedProcess[str], LoadResult]
        ) -> None:
    result, load = unhealthy
    assert result.returncode == 1
    error = last_line(result)
    assert error.startswith("pipeline: error: deploy of build 3 to fleet failed on host app-1 "
                            "at task 'app : Fail the release'"), error
    assert "visitors-app-b2-p" in error and "keeps serving" in error
    assert load.failed == 0, load.errors
    assert load.builds == {2}
    assert serving_builds(fleet) == {"app-1": 2, "app-2": 2}


def test_an_unreachable_host_stops_the_deploy_before_anything_switches(
        fleet: FleetStack, host_down: subprocess.CompletedProcess[str]) -> None:
    assert host_down.returncode == 1
    assert last_line(host_down).startswith(
        "pipeline: error: deploy of build 3 to fleet host app-2 is unreachable"), \
        output(host_down)
    assert serving_builds(fleet) == {"app-1": 2, "app-2": 2}


def test_rollback_returns_every_host_to_build_1(
        fleet: FleetStack, rolled_back: tuple[subprocess.CompletedProcess[str], LoadResult]
        ) -> None:
    result, load = rolled_back
    assert result.returncode == 0, output(result)
    assert load.failed == 0, load.errors
    assert serving_builds(fleet) == {"app-1": 1, "app-2": 1}


def test_restore_brings_back_the_rows_of_the_newest_backup(
        restored: tuple[subprocess.CompletedProcess[str], str, str]) -> None:
    result, before, after = restored
    assert result.returncode == 0, output(result)
    # The newest backup is the one build 3's deploy took before it failed to release.
    assert result.stdout.strip().splitlines()[-1].startswith("restored fleet from visitors-")
    assert result.stdout.strip().endswith("-before-build-3.dump")
    assert before and after == before


def test_each_backup_is_copied_off_the_database_host(
        fleet: FleetStack, restored: tuple[subprocess.CompletedProcess[str], str, str]) -> None:
    result, _, _ = restored
    name = result.stdout.strip().rsplit(" ", 1)[1]
    copy = REPO_ROOT / "build" / "backups" / "fleet" / name
    assert copy.is_file()
    on_db_host = fleet.on_host("db-1", "sha256sum", f"/var/lib/visitors/backups/{name}")
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == on_db_host.split()[0]


def test_a_wrong_registry_password_pushes_nothing(
        fleet: FleetStack, first: subprocess.CompletedProcess[str]) -> None:
    fleet.set_build(9)
    derived_image(fleet.image(1), fleet.built(9), 9, "")
    result = fleet.pipeline("push", REGISTRY_PASSWORD="not-the-password")
    assert result.returncode == 1
    assert last_line(result).startswith(
        f"pipeline: error: registry {fleet.registry} refused the login of pipeline")
    assert "pushed" not in result.stdout


def test_a_missing_vault_password_is_one_line_naming_it(fleet: FleetStack) -> None:
    result = fleet.pipeline("deploy", "fleet", ANSIBLE_VAULT_PASSWORD_FILE="")
    assert result.returncode == 2
    assert result.stderr == ("pipeline: error: ANSIBLE_VAULT_PASSWORD_FILE is not set: it "
                             "must name the file holding the password of "
                             "inventories/fleet/group_vars/all/vault.yml\n")
