"""The multi-host path for real: four hosts over SSH, each with its own Docker engine.

One fleet for the module (proxy-1 also runs the registry, app-1, app-2, db-1), provisioned by
`pipeline provision fleet`, taken through a release history in order: build 1, build 2 under
load through the proxy, an image that never turns healthy, build 4 stopped half-way (app-2's
port taken), a rollback that puts both hosts on one build, a deploy with app-2 down (refused,
then done with --skip-host), app-2 back in with a monitoring host down, a restore; plus the
registry's and the vault's refusals.
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
import yaml

from tests.support.load import LoadResult, ask
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
    """Run the CLI under the page load, from before it starts until it ends."""
    with fleet.page_load() as load:
        result = fleet.pipeline(*args)
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


def serving_port(fleet: FleetStack, host: str) -> str:
    """The port the proxy sends ``host``'s traffic to (its entry: server ADDRESS:PORT ...)."""
    entry = fleet.on_host("proxy-1", "cat", f"/var/lib/visitors/proxy/upstream.d/{host}.conf")
    return entry.split("server ", 1)[1].split()[0].rsplit(":", 1)[1]


def serving_container(fleet: FleetStack, host: str) -> str:
    """The release container the proxy sends ``host``'s traffic to: its name and id."""
    return fleet.on_host(host, "docker", "ps", "--filter", f"publish={serving_port(fleet, host)}",
                         "--format", "{{.Names}} {{.ID}}")


def history(fleet: FleetStack, host: str) -> list[dict[str, Any]]:
    """``host``'s release records, newest first."""
    records = json.loads(fleet.on_host(host, "cat", "/var/lib/visitors/releases.json"))
    assert isinstance(records, list)
    return records


@pytest.fixture(scope="module")
def partial(fleet: FleetStack, unhealthy: tuple[subprocess.CompletedProcess[str], LoadResult]
            ) -> subprocess.CompletedProcess[str]:
    """Build 4 (build 2's image, reporting 4) stopped half-way: app-1 switches, then app-2's
    release cannot publish its port (another process holds it), so app-2 keeps build 2."""
    derived_image(fleet.image(2), fleet.built(4), 4, "")
    fleet.set_build(4)
    pushed = fleet.pipeline("push")
    assert pushed.returncode == 0, output(pushed)
    free_port = ({"8001", "8002"} - {serving_port(fleet, "app-2")}).pop()
    holder = ("import socket, time; s = socket.socket(); "
              f"s.bind(('{fleet.addresses['app-2']}', {free_port})); s.listen(); time.sleep(900)")
    fleet.host("app-2").exec_run(
        ["sh", "-c", f'echo $$ >/tmp/holder.pid; exec python3 -c "{holder}"'], detach=True)
    try:
        time.sleep(1)
        return fleet.pipeline("deploy", "fleet")
    finally:
        fleet.on_host("app-2", "sh", "-c", "kill $(cat /tmp/holder.pid)")


@pytest.fixture(scope="module")
def rolled_back(fleet: FleetStack, partial: subprocess.CompletedProcess[str]
                ) -> tuple[subprocess.CompletedProcess[str], LoadResult, str, str]:
    """After the partial rollout (app-1 on 4, app-2 on 2), a rollback under load; app-2's
    serving container before and after."""
    assert partial.returncode == 1, output(partial)
    before = serving_container(fleet, "app-2")
    result, load = under_load(fleet, "rollback", "fleet")
    return result, load, before, serving_container(fleet, "app-2")


@pytest.fixture(scope="module")
def host_down(fleet: FleetStack, rolled_back: tuple[subprocess.CompletedProcess[str],
                                                    LoadResult, str, str]
              ) -> dict[str, subprocess.CompletedProcess[str]]:
    """Build 4 again with app-2's host stopped (started again afterwards): without the flag,
    with --skip-host naming no host of the inventory, then with --skip-host app-2."""
    fleet.host("app-2").stop(timeout=5)
    try:
        return {"refused": fleet.pipeline("deploy", "fleet", timeout=600),
                "unknown": fleet.pipeline("deploy", "fleet", "--skip-host", "app-9"),
                "skipped": fleet.pipeline("deploy", "fleet", "--skip-host", "app-2")}
    finally:
        fleet.host("app-2").start()  # its engine starts at boot, its release with it
        deadline = time.monotonic() + 120
        while fleet.host("app-2").exec_run(["docker", "info"]).exit_code != 0:
            assert time.monotonic() < deadline, "app-2's engine did not start again"
            time.sleep(1)


@pytest.fixture(scope="module")
def rejoined(fleet: FleetStack, host_down: dict[str, subprocess.CompletedProcess[str]]
             ) -> subprocess.CompletedProcess[str]:
    """app-2 back: build 4 deployed without the flag, while a second monitoring host (in the
    inventory, nothing answering at its address) is down."""
    hosts_file = fleet.workdir / "inventories" / "fleet" / "hosts.yml"
    original = hosts_file.read_text(encoding="utf-8")
    hosts = yaml.safe_load(original)
    hosts["all"]["children"]["monitoring"]["hosts"]["monitoring-2"] = {
        "ansible_host": fleet.addresses["db-1"], "ansible_port": 2,
        "private_address": fleet.addresses["db-1"]}
    hosts_file.write_text(yaml.safe_dump(hosts), encoding="utf-8")
    try:
        return fleet.pipeline("deploy", "fleet")
    finally:
        hosts_file.write_text(original, encoding="utf-8")


@pytest.fixture(scope="module")
def restored(fleet: FleetStack, rejoined: subprocess.CompletedProcess[str]
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
    assert load.problems() == []
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
    assert load.problems() == []
    assert load.builds == {2}
    assert serving_builds(fleet) == {"app-1": 2, "app-2": 2}


def test_a_partial_rollout_stops_at_the_host_that_fails(
        fleet: FleetStack, partial: subprocess.CompletedProcess[str]) -> None:
    assert partial.returncode == 1
    assert last_line(partial).startswith("pipeline: error: deploy of build 4 to fleet failed "
                                         "on host app-2"), output(partial)
    assert [record["build"] for record in history(fleet, "app-1")][:2] == [4, 2]
    assert history(fleet, "app-2")[0]["build"] == 2


def test_rollback_after_a_partial_rollout_returns_every_host_to_one_build(
        fleet: FleetStack, rolled_back: tuple[subprocess.CompletedProcess[str], LoadResult,
                                              str, str]) -> None:
    result, load, app_2_before, app_2_after = rolled_back
    assert result.returncode == 0, output(result)
    assert load.problems() == []
    # Build 2: the release before build 4 that both hosts keep. Each host's own previous
    # release would have put app-2, which never left build 2, on build 1.
    assert serving_builds(fleet) == {"app-1": 2, "app-2": 2}
    assert app_2_after == app_2_before  # already on build 2: left as it was
    assert result.stdout.strip().splitlines()[-1] == "rolled back fleet"


def test_an_unreachable_host_stops_the_deploy_and_names_the_flag(
        host_down: dict[str, subprocess.CompletedProcess[str]]) -> None:
    refused = host_down["refused"]
    assert refused.returncode == 1
    error = last_line(refused)
    assert error.startswith("pipeline: error: deploy of build 4 to fleet failed on host localhost "
                            "at task 'Check that the host answered': app-2 does not answer"), \
        output(refused)
    assert "nothing was changed" in error and "--skip-host app-2" in error


def test_a_skip_host_the_inventory_lacks_is_one_line(
        host_down: dict[str, subprocess.CompletedProcess[str]]) -> None:
    unknown = host_down["unknown"]
    assert unknown.returncode == 2, output(unknown)
    assert last_line(unknown).endswith(
        "--skip-host app-9: not an app host of this inventory (its app hosts: app-1, app-2)")


def test_a_deploy_skipping_a_down_host_releases_the_others_and_drains_it(
        fleet: FleetStack, host_down: dict[str, subprocess.CompletedProcess[str]]) -> None:
    skipped = host_down["skipped"]
    assert skipped.returncode == 0, output(skipped)
    assert skipped.stdout.strip().splitlines()[-1] == (
        f"deployed build 4 to fleet: {fleet.url('/')} (skipped app-2: not changed, out of the "
        "proxy until a run without --skip-host reaches it)")
    record = history(fleet, "app-1")[0]
    assert (record["build"], record["skipped_hosts"]) == (4, ["app-2"])
    assert history(fleet, "app-2")[0]["build"] == 2
    assert fleet.on_host("proxy-1", "ls", "/var/lib/visitors/proxy/upstream.d") == "app-1.conf"


def test_a_deploy_without_the_flag_brings_the_host_back_with_a_monitoring_host_down(
        fleet: FleetStack, rejoined: subprocess.CompletedProcess[str]) -> None:
    assert rejoined.returncode == 0, output(rejoined)
    said = " ".join(rejoined.stdout.split())
    assert "warning: monitoring host monitoring-2 does not answer" in said
    assert "warning: monitoring host monitoring-2 was not told where build 4 serves on app-2" \
        in said
    assert serving_builds(fleet) == {"app-1": 4, "app-2": 4}
    assert history(fleet, "app-2")[0]["skipped_hosts"] == []


def test_restore_brings_back_the_rows_of_the_newest_backup(
        restored: tuple[subprocess.CompletedProcess[str], str, str]) -> None:
    result, before, after = restored
    assert result.returncode == 0, output(result)
    # The newest backup is the one the deploy that brought app-2 back took.
    assert result.stdout.strip().splitlines()[-1].startswith("restored fleet from visitors-")
    assert result.stdout.strip().endswith("-before-build-4.dump")
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
