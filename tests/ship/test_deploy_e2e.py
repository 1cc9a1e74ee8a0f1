"""The whole deploy path for real: pipeline stages, playbooks, engine, PostgreSQL, nginx.

One environment per module, taken through a release history in order (each fixture is one
step and depends on the previous one), so a handful of real deploys cover every behaviour:
build 1 deployed by the pipeline's stages; build 2 under load while a second deploy is refused;
an image that never turns healthy (build 3); a migration that fails (build 4); a rollback; a
redeploy of what already runs (changed=0); build 2 again with a wrong database password; then
build 2 killed outright twice (before its switch, then during its watch) and recovered; build
2 redeployed while its container is sick (frozen).
"""
import os
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import docker
import yaml

from tests.support.load import LoadResult
from tests.support.stack import REGISTRY, REPO_ROOT, ShipStack
from tests.support.derived import NEVER_HEALTHY, derived_image, push

pytestmark = pytest.mark.slow

SHIP_STAGES = "version,build,push,deploy"


@dataclass(frozen=True)
class Step:
    """A deploy step's outcome: the CLI's exit code and output, and the load it ran under."""

    returncode: int
    output: str
    load: LoadResult


def visit(stack: ShipStack, times: int) -> None:
    """Count ``times`` visits through the proxy."""
    for _ in range(times):
        with urllib.request.urlopen(stack.url("/"), timeout=10) as response:
            assert response.status == 200


def visitor_rows(stack: ShipStack) -> str:
    """The visitor table's addresses, as psql prints them (the load's visits only add to
    their counts, which its counter checks)."""
    return stack.sql("SELECT ip FROM visitor ORDER BY ip")


def deploy_under_load(stack: ShipStack, *args: str) -> Step:
    """Run the CLI under the page load, from before it starts until it ends."""
    with stack.page_load() as load:
        result = stack.pipeline(*args)
    return Step(result.returncode, result.stdout + result.stderr, load.result)


@pytest.fixture(scope="module")
def first(stack: ShipStack) -> Step:
    """The stack provisioned (database, proxy), then build 1 deployed by `make deploy`'s stages."""
    provisioned = stack.pipeline("provision", stack.environment)
    assert provisioned.returncode == 0, provisioned.stdout[-4000:] + provisioned.stderr
    result = stack.pipeline("run", "--stages", SHIP_STAGES)
    return Step(result.returncode, result.stdout + result.stderr, LoadResult())


@pytest.fixture(scope="module")
def planned(stack: ShipStack, first: Step) -> subprocess.CompletedProcess[str]:
    """Build 2 built and pushed, then `deploy --plan` (which must change nothing)."""
    assert first.returncode == 0, first.output[-4000:]
    built = stack.pipeline("run", "--stages", "version,build,push")
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr
    return stack.pipeline("deploy", stack.environment, "--plan")


@pytest.fixture(scope="module")
def second(stack: ShipStack, planned: subprocess.CompletedProcess[str]
           ) -> tuple[Step, subprocess.CompletedProcess[str]]:
    """Build 2 deployed under load, while a second deploy of the environment is attempted."""
    visit(stack, 3)
    with stack.page_load() as load:
        deploying = stack.start_pipeline("deploy", stack.environment)
        deadline = time.monotonic() + 120
        while not stack.lock_file.exists() and deploying.poll() is None:
            assert time.monotonic() < deadline, "the first deploy never took its lock"
            time.sleep(0.2)
        refused = stack.pipeline("deploy", stack.environment)
        output, _ = deploying.communicate(timeout=900)
    return Step(deploying.returncode, output, load.result), refused


@pytest.fixture(scope="module")
def unhealthy(stack: ShipStack, second: tuple[Step, subprocess.CompletedProcess[str]]) -> Step:
    """Build 3: an image whose healthcheck never passes."""
    derived_image(stack.image(2), stack.image(3), 3, NEVER_HEALTHY)
    push(stack.image(3))
    stack.set_build(3)
    return deploy_under_load(stack, "deploy", stack.environment)


@pytest.fixture(scope="module")
def bad_migration(stack: ShipStack, unhealthy: Step) -> tuple[Step, str, str]:
    """Build 4: a migration that creates a table, then fails. Returns schema and rows before."""
    head = stack.sql("SELECT version_num FROM alembic_version")
    rows = visitor_rows(stack)
    migration = (f'revision = "badbad000004"\ndown_revision = "{head}"\nkind = "expand"\n'
                 "from alembic import op\nimport sqlalchemy as sa\n\n\n"
                 "def upgrade():\n"
                 '    op.create_table("ship_test_marker", sa.Column("id", sa.Integer))\n'
                 '    op.execute("SELECT 1/0")\n\n\n'
                 "def downgrade():\n    pass\n")
    name = "app/migrations/versions/badbad000004_fails.py"
    derived_image(stack.image(2), stack.image(4), 4, "", files={name: migration})
    push(stack.image(4))
    stack.set_build(4)
    return deploy_under_load(stack, "deploy", stack.environment), head, rows


@pytest.fixture(scope="module")
def rolled_back(stack: ShipStack, bad_migration: tuple[Step, str, str]) -> tuple[Step, str]:
    """Roll back from build 2 to build 1 under load; returns the rows before it."""
    visit(stack, 2)
    rows = visitor_rows(stack)
    return deploy_under_load(stack, "rollback", stack.environment), rows


def test_the_pipeline_stages_deploy_build_1(stack: ShipStack, first: Step) -> None:
    assert first.returncode == 0, first.output[-4000:]
    assert stack.version_served()["build"] == 1
    assert f"deployed build 1 to {stack.environment}: {stack.url('/')}" in first.output
    assert stack.app_builds() == [1]


def test_a_build_or_backup_that_is_not_kept_is_refused_as_bad_input(
        stack: ShipStack, first: Step) -> None:
    """Exit 2, the kept ones named; the restore refuses before it takes the deploy lock."""
    assert first.returncode == 0, first.output[-4000:]
    rollback = stack.pipeline("rollback", stack.environment, "--to", "99")
    assert rollback.returncode == 2, rollback.stdout[-4000:] + rollback.stderr
    assert "no kept release to roll back to with build 99 (kept: 1)" in rollback.stderr
    missing = f"{stack.name}-20000101T000000Z-none.dump"
    restore = stack.pipeline("restore", stack.environment, "--yes", "--backup", missing)
    assert restore.returncode == 2, restore.stdout[-4000:] + restore.stderr
    assert f"no backup {missing} on localhost (kept: " in restore.stderr
    log = (stack.reports / f"restore-{stack.environment}.log").read_text(encoding="utf-8")
    assert "Take the deploy lock" not in log
    assert not stack.lock_file.exists()
    assert stack.version_served()["build"] == 1


def test_a_plan_says_what_would_change_and_changes_nothing(
        stack: ShipStack, planned: subprocess.CompletedProcess[str]) -> None:
    assert planned.returncode == 0, planned.stdout[-4000:] + planned.stderr
    # What serves is pinned by the deploy (repository@digest); the plan names the new tag.
    assert re.search(rf"localhost: {re.escape(REGISTRY)}/{stack.image_name}@sha256:[0-9a-f]{{64}}"
                     rf" -> {re.escape(stack.image(2))}\n", planned.stdout), planned.stdout
    assert "migrations: none" in planned.stdout
    assert "restarts: the app on localhost, one host at a time" in planned.stdout
    assert stack.version_served()["build"] == 1
    assert stack.app_builds() == [1]


def test_a_redeploy_under_load_drops_no_request(
        stack: ShipStack, second: tuple[Step, subprocess.CompletedProcess[str]]) -> None:
    step, _ = second
    assert step.returncode == 0, step.output[-4000:]
    assert stack.version_served()["build"] == 2
    assert step.load.problems() == []
    assert step.load.served > 50
    assert step.load.builds == {1, 2}
    assert stack.app_builds() == [2]


def test_a_second_deploy_at_once_is_refused_with_the_holder(
        second: tuple[Step, subprocess.CompletedProcess[str]]) -> None:
    _, refused = second
    assert refused.returncode == 1
    error = refused.stderr.strip().splitlines()[-1]
    assert "another deploy holds the lock" in error
    assert "build 2" in error and "pid" in error


def test_the_backup_before_a_deploy_is_copied_off_the_database_host(
        stack: ShipStack, second: tuple[Step, subprocess.CompletedProcess[str]]) -> None:
    backups = sorted((stack.state_dir / "backups").glob("*-before-build-2.dump"))
    copies = sorted(stack.backup_copies.glob("*-before-build-2.dump"))
    assert len(backups) == 1 and [copy.name for copy in copies] == [backups[0].name]
    assert copies[0].read_bytes() == backups[0].read_bytes()


def test_an_image_that_never_turns_healthy_is_not_released(
        stack: ShipStack, unhealthy: Step) -> None:
    assert unhealthy.returncode == 1
    error = unhealthy.output.strip().splitlines()[-1]
    assert error.startswith("pipeline: error: deploy of build 3")
    assert "on host localhost at task 'app : Fail the release'" in error
    assert ("'Start the new release beside the old one and wait until it is healthy' failed"
            in error)
    assert unhealthy.load.problems() == []
    assert unhealthy.load.builds == {2}
    assert stack.version_served()["build"] == 2
    assert stack.app_builds() == [2]
    assert not stack.lock_file.exists()


def test_a_failing_migration_stops_before_the_switch_and_changes_nothing(
        stack: ShipStack, bad_migration: tuple[Step, str, str]) -> None:
    step, head, rows = bad_migration
    assert step.returncode == 1
    error = step.output.strip().splitlines()[-1]
    assert "at task 'Check that the migrations succeeded" in error
    assert "division by zero" in error
    assert stack.sql("SELECT version_num FROM alembic_version") == head
    assert stack.sql("SELECT to_regclass('ship_test_marker') IS NULL") == "t"
    assert visitor_rows(stack) == rows
    assert step.load.problems() == []
    assert stack.version_served()["build"] == 2
    assert stack.app_builds() == [2]


def test_rollback_serves_the_previous_release_and_keeps_the_rows(
        stack: ShipStack, rolled_back: tuple[Step, str]) -> None:
    step, rows = rolled_back
    assert step.returncode == 0, step.output[-4000:]
    assert stack.version_served()["build"] == 1
    assert step.load.problems() == []
    assert visitor_rows(stack) == rows
    assert stack.app_builds() == [1]
    status = stack.pipeline("status", stack.environment)
    assert status.returncode == 0, status.stdout[-2000:]
    row = next(line for line in status.stdout.splitlines() if line.startswith("localhost "))
    assert row.split()[1:3] == ["0.1.0+build.1", "0.1.0+build.1"]
    assert status.stdout.strip().splitlines()[-1] == "lock: free"


def test_deploying_what_already_runs_changes_nothing(
        stack: ShipStack, rolled_back: tuple[Step, str]) -> None:
    stack.set_build(1)
    result = stack.pipeline("deploy", stack.environment)
    assert result.returncode == 0, result.stdout[-4000:]
    recaps = [line for line in result.stdout.splitlines() if line.startswith("localhost ")]
    assert recaps and all(" changed=0 " in line for line in recaps), recaps
    smoke = stack.pipeline("smoke", stack.environment)
    assert smoke.returncode == 0, smoke.stdout[-2000:]


def killed_when(stack: ShipStack, build: int, moment: Callable[[], bool]) -> Step:
    """Deploy ``build`` under load and SIGKILL the whole run (the CLI and its ansible-playbook,
    as a lost agent would end) once ``moment()`` is true."""
    stack.set_build(build)
    log = stack.workdir / f"killed-{time.monotonic_ns()}.log"
    with stack.page_load() as load, log.open("w", encoding="utf-8") as output:
        run = subprocess.Popen(stack.command("deploy", stack.environment), cwd=REPO_ROOT,
                               env=stack.env(), stdout=output, stderr=subprocess.STDOUT,
                               start_new_session=True)
        try:
            deadline = time.monotonic() + 600
            while not moment():
                assert run.poll() is None, log.read_text(encoding="utf-8")[-4000:]
                assert time.monotonic() < deadline, "the moment to kill never came"
                time.sleep(0.1)
        finally:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait(timeout=60)
        time.sleep(3)
    return Step(run.returncode, log.read_text(encoding="utf-8"), load.result)


def status_lines(stack: ShipStack) -> list[str]:
    """What `pipeline status` prints, line by line (it must succeed)."""
    result = stack.pipeline("status", stack.environment)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    return result.stdout.strip().splitlines()


def serving_build(stack: ShipStack) -> int:
    """The build the proxy serves now (-1 when it does not answer)."""
    try:
        return int(str(stack.version_served()["build"]))
    except OSError:
        return -1


@pytest.fixture(scope="module")
def wrong_password(stack: ShipStack, rolled_back: tuple[Step, str]) -> Step:
    """Build 2 again, its containers given a wrong database password (a wrong DATABASE_URL)."""
    settings = stack.workdir / "inventories" / stack.environment / "group_vars" / "all" / "main.yml"
    kept = settings.read_text(encoding="utf-8")
    settings.write_text(yaml.safe_dump({**yaml.safe_load(kept), "db_app_password": "wrong"}),
                        encoding="utf-8")
    try:
        stack.set_build(2)
        return deploy_under_load(stack, "deploy", stack.environment)
    finally:
        settings.write_text(kept, encoding="utf-8")


@pytest.fixture(scope="module")
def killed_before_switch(stack: ShipStack, wrong_password: Step) -> tuple[Step, list[str]]:
    """Build 2's deploy killed while its new container starts; returns `status` after."""
    step = killed_when(stack, 2, lambda: 2 in stack.app_builds())
    return step, status_lines(stack)


@pytest.fixture(scope="module")
def killed_in_watch(stack: ShipStack, killed_before_switch: tuple[Step, list[str]]
                    ) -> tuple[Step, list[str]]:
    """The next deploy of build 2 (no hand work: the dead run's lock is taken over) killed
    once the proxy serves it, during the watch; returns `status` after."""
    step = killed_when(stack, 2, lambda: serving_build(stack) == 2)
    return step, status_lines(stack)


@pytest.fixture(scope="module")
def recovered(stack: ShipStack, killed_in_watch: tuple[Step, list[str]]
              ) -> tuple[Step, list[str]]:
    """Build 2 deployed once more, to the end; returns `status` after."""
    step = deploy_under_load(stack, "deploy", stack.environment)
    return step, status_lines(stack)


def test_a_wrong_database_url_fails_readiness_and_is_never_switched_to(
        stack: ShipStack, wrong_password: Step) -> None:
    assert wrong_password.returncode == 1
    error = wrong_password.output.strip().splitlines()[-1]
    assert "'Check that the new release is ready' failed" \
        in error
    assert "wrong" not in error
    assert wrong_password.load.problems() == []
    assert wrong_password.load.builds == {1}
    assert stack.app_builds() == [1]
    assert not stack.lock_file.exists()


def test_a_deploy_killed_before_its_switch_leaves_the_old_release_serving_and_says_so(
        stack: ShipStack, killed_before_switch: tuple[Step, list[str]]) -> None:
    step, status = killed_before_switch
    assert step.returncode == -signal.SIGKILL
    assert step.load.problems() == []
    assert step.load.builds == {1}
    assert any(line.startswith("localhost: switching to build 2 (") and
               line.endswith("was interrupted; the next deploy or rollback reconciles it")
               for line in status), status
    assert status[-1].startswith("lock: left by a run whose process is gone"), status


def test_the_next_deploy_takes_over_the_dead_runs_lock_and_a_kill_after_the_switch_serves_it(
        stack: ShipStack, killed_in_watch: tuple[Step, list[str]]) -> None:
    step, status = killed_in_watch
    assert step.returncode == -signal.SIGKILL
    assert "a run switching this host to build 2" in step.output
    assert step.load.problems() == []
    assert step.load.builds == {1, 2}
    row = next(line for line in status if line.startswith("localhost "))
    assert row.split()[1:3] == ["0.1.0+build.1", "0.1.0+build.2"]
    assert any("was interrupted" in line for line in status), status


def test_a_deploy_after_the_kills_completes_and_leaves_nothing_behind(
        stack: ShipStack, recovered: tuple[Step, list[str]]) -> None:
    step, status = recovered
    assert step.returncode == 0, step.output[-4000:]
    assert step.load.problems() == []
    assert serving_build(stack) == 2
    assert stack.app_builds() == [2]
    row = next(line for line in status if line.startswith("localhost "))
    assert row.split()[1:3] == ["0.1.0+build.2", "0.1.0+build.2"]
    assert not any("switching" in line for line in status), status
    assert status[-1] == "lock: free"


@pytest.fixture(scope="module")
def sick_redeployed(stack: ShipStack, recovered: tuple[Step, list[str]]
                    ) -> tuple[subprocess.CompletedProcess[str], str]:
    """Build 2's container running but unhealthy (its health probe's interpreter made
    unusable: "Up ... (unhealthy)", which a substring test for "healthy" took for healthy), then
    build 2 deployed again, as an operator mends a sick release. Returns the run and the sick
    name."""
    client = docker.from_env()
    [sick] = client.containers.list(filters={"label": f"pipeline-stack={stack.name}"})
    sick.exec_run(["sh", "-c", 'chmod 0 "$(readlink -f "$(command -v python)")"'], user="0")
    deadline = time.monotonic() + 60
    while sick.attrs["State"].get("Health", {}).get("Status") != "unhealthy":
        assert time.monotonic() < deadline, "the sick release never turned unhealthy"
        time.sleep(1)
        sick.reload()
    assert sick.status == "running"
    stack.set_build(2)
    return stack.pipeline("deploy", stack.environment), sick.name


def test_redeploying_a_sick_build_replaces_its_container_and_serves_again(
        stack: ShipStack, sick_redeployed: tuple[subprocess.CompletedProcess[str], str]) -> None:
    result, sick_name = sick_redeployed
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    assert serving_build(stack) == 2
    client = docker.from_env()
    names = [container.name for container in
             client.containers.list(all=True, filters={"label": f"pipeline-stack={stack.name}"})]
    assert len(names) == 1 and names != [sick_name]
