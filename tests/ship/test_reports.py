"""The reports plan.yml, status.yml and unlock.yml write, read as types: a report that does not
match the library is one line naming the playbook, the file and the field; a well-formed one
prints the same JSON it was read from, and reads as the text people see."""
import json
from typing import Any

import pytest

from pipeline.ship import process
from pipeline.ship.lock import Lock, freed_lock, lock_line
from pipeline.ship.plan import Plan, plan_lines
from pipeline.ship.report import Fields, ReportMismatch
from pipeline.ship.status import (STATUS_COLUMNS, Alerts, EnvironmentStatus, HostStatus,
                                  alerts_line, pending_lines, status_rows)

PLAN: dict[str, Any] = {
    "build": 7, "image": "r/v:7", "image_from": {"app-2": "r/v:6", "app-1": "r/v:7"},
    "migrations": {"current": "a1", "target": "b2",
                   "pending": [{"revision": "b2", "kind": "contract"}]}}
LOCK = {"acquired_at": "2026-12-07T16:00:00Z", "build": "7", "expires": 100.5,
        "expires_at": "2026-12-07T16:30:00Z", "holder": "me@h (pid 1)", "owner": "run-a",
        "process": {"host": "elsewhere", "pid": 1, "start": "9"}, "token": 3}
PENDING = {"build": 5, "image": "r/v:5", "kind": "deploy", "container": "v-app-b5-p8001",
           "port": 8001, "replaces": "v-app-b4-p8000", "deploy_id": "run-a",
           "holder": "me@h (pid 1)", "started_at": "T"}


def host(name: str, **fields: Any) -> dict[str, Any]:
    """A host file as status.yml writes it: nothing recorded, nothing serving, unless told."""
    return {"host": name, "recorded": "", "recorded_build": None, "answer": "",
            "image_version": "", "image_build": "", "container": "", "commit": "",
            "deployed_at": "", "deployed_by": "", "kept": [], "pending": {}, **fields}


def status_report(**files: Any) -> dict[str, Any]:
    """status.yml's files by name: two hosts, a held lock, one alert firing on app-2."""
    return {"environment": {"url": "http://h/", "lock": LOCK, "now": 50.25},
            "alerts": {"enabled": True, "error": "",
                       "firing": [{"alertname": "AppDown", "instance": "app-2"}]},
            "host-app-1": host("app-1", recorded="1.0.0+build.7", recorded_build=7,
                               answer="7", image_version="1.0.0+build.7", image_build="7",
                               container="v-app-b7-p8000", commit="abcdef0123456789",
                               deployed_at="t", deployed_by="me", kept=[6, 7]),
            "host-app-2": host("app-2", pending=PENDING), **files}


def read_status(**files: Any) -> EnvironmentStatus:
    return EnvironmentStatus.from_report("qa", status_report(**files))


def test_a_well_formed_plan_prints_the_json_it_was_read_from() -> None:
    plan = Plan.from_report({"plan": PLAN})
    assert plan.as_json() == PLAN
    unknown = {**PLAN, "migrations": {"current": "z9", "target": "b2", "pending": None}}
    assert Plan.from_report({"plan": unknown}).as_json() == unknown


def test_a_well_formed_status_prints_the_json_it_was_read_from() -> None:
    found = read_status().as_json()
    report = status_report()
    assert found["lock"] == LOCK and found["lock_checked_at"] == 50.25
    assert found["alerts"] == report["alerts"] and found["url"] == "http://h/"
    first, second = found["hosts"]
    assert first == {**{key: value for key, value in report["host-app-1"].items()
                        if key not in ("answer", "image_version", "image_build")},
                     "serving": "1.0.0+build.7", "serving_build": 7, "alerts": ""}
    assert second["pending"] == PENDING and second["alerts"] == "AppDown"
    assert read_status(alerts=None).as_json()["alerts"] is None


def test_the_lock_prints_with_its_keys_in_the_order_status_yml_wrote_them() -> None:
    lock = Lock.from_report(Fields("status.yml", "environment.json", LOCK))
    assert json.dumps(lock.as_json(), indent=1) == json.dumps(LOCK, indent=1)
    assert freed_lock({"unlocked": {"lock": None}}) is None
    assert freed_lock({"unlocked": {"lock": LOCK}}) == lock


@pytest.mark.parametrize(("report", "message"), [
    ({"plan": {**PLAN, "build": "7"}},
     "plan.yml wrote plan.json with build = '7' (expected an integer)"),
    ({"plan": {**PLAN, "migrations": {"current": "a1", "target": "b2"}}},
     "plan.yml wrote plan.json with no field migrations.pending (expected a list or null)"),
    ({"plan": {**PLAN, "migrations": {**PLAN["migrations"], "pending": [{"revision": "b2"}]}}},
     "plan.yml wrote plan.json with no field migrations.pending[0].kind (expected a string)"),
    ({}, "plan.yml wrote no plan.json"),
])
def test_a_plan_that_does_not_match_is_one_line_naming_the_field(report: dict[str, Any],
                                                                 message: str) -> None:
    with pytest.raises(ReportMismatch) as raised:
        Plan.from_report(report)
    assert str(raised.value) == f"{message}: the playbook and the library do not match"


@pytest.mark.parametrize(("files", "message"), [
    ({"host-app-1": host("app-1", recorded_build="7")},
     "host-app-1.json with recorded_build = '7' (expected an integer or null)"),
    ({"host-app-2": host("app-2", pending={**PENDING, "build": None})},
     "host-app-2.json with pending.build = None (expected an integer)"),
    ({"environment": {"url": "http://h/", "lock": {**LOCK, "token": True}, "now": 1.0}},
     "environment.json with lock.token = True (expected an integer)"),
    ({"environment": {"url": "http://h/", "lock": None}},
     "environment.json with no field now (expected a number)"),
    ({"alerts": {"enabled": "yes", "firing": [], "error": ""}},
     "alerts.json with enabled = 'yes' (expected true or false)"),
    ({"alerts": {"enabled": True, "firing": [{"alertname": 1}], "error": ""}},
     "alerts.json with firing[0].alertname = 1 (expected a string)"),
])
def test_a_status_that_does_not_match_is_one_line_naming_the_field(files: dict[str, Any],
                                                                   message: str) -> None:
    with pytest.raises(ReportMismatch) as raised:
        read_status(**files)
    assert str(raised.value) == (f"status.yml wrote {message}: the playbook and the library "
                                 "do not match")
    assert "\n" not in str(raised.value)


def test_status_rows_line_up() -> None:
    rows = status_rows(read_status())
    assert rows[0].split() == list(STATUS_COLUMNS)
    assert rows[1].split() == ["app-1", "1.0.0+build.7", "1.0.0+build.7", "abcdef012345", "t",
                               "me", "-"]
    assert rows[2].split() == ["app-2", "-", "-", "-", "-", "-", "AppDown"]
    assert rows[0].index("recorded") == rows[1].index("1.0.0+build.7")


def test_the_plan_reads_per_host() -> None:
    assert plan_lines(Plan.from_report({"plan": PLAN})) == [
        "deploy build 7: r/v:7", "  app-1: already serves it, nothing to do",
        "  app-2: r/v:6 -> r/v:7",
        "migrations: a1 -> b2: b2 (contract) (backup first, then migrate once)",
        "  a contract step: the serving release cannot run after it; deploy with "
        "--allow-contract once nothing older serves",
        "restarts: the app on app-2, one host at a time"]
    nothing = {**PLAN, "migrations": {"current": "b2", "target": "b2", "pending": []}}
    assert "migrations: none (schema at b2)" in plan_lines(Plan.from_report({"plan": nothing}))


def test_the_alerts_read_as_one_line() -> None:
    def line(enabled: bool, firing: list[dict[str, str]], error: str) -> str:
        return alerts_line(Alerts.from_report({"enabled": enabled, "firing": firing,
                                               "error": error}))
    assert alerts_line(None) == "alerts: no monitoring host in the inventory"
    assert line(False, [], "") == "alerts: monitoring is off (monitoring_enabled)"
    assert line(True, [], "refused") == "alerts: unknown (refused)"
    firing = [{"alertname": "ServiceDown", "instance": "app-2"},
              {"alertname": "BackupMissing"}]
    assert line(True, firing, "") == (
        "alerts: 2 firing: ServiceDown on app-2; BackupMissing on the environment")


def lock_of(**fields: Any) -> Lock:
    return Lock.from_report(Fields("status.yml", "environment.json", {**LOCK, **fields}))


def test_the_lock_reads_as_one_line() -> None:
    assert lock_line(None, 0) == "lock: free"
    assert lock_line(lock_of(), 50).startswith("lock: held by me@h (pid 1), build 7")
    assert lock_line(lock_of(), 150).startswith("lock: stale (may be taken over)")
    gone = lock_of(process={**process.identity(), "start": "1"})
    assert lock_line(gone, 50).startswith(
        "lock: left by a run whose process is gone (the next run takes it over) by me@h")


def test_a_switch_reads_as_in_progress_while_its_run_holds_the_lock_else_as_interrupted(
        ) -> None:
    def lines(lock: dict[str, Any] | None, now: float) -> list[str]:
        return pending_lines(read_status(environment={"url": "u", "lock": lock, "now": now}))
    held = {**LOCK, "process": process.identity()}
    assert lines(held, 50) == [
        "app-2: switching to build 5 (me@h (pid 1), since T), in progress"]
    interrupted = ["app-2: switching to build 5 (me@h (pid 1), since T) was interrupted; "
                   "the next deploy or rollback reconciles it"]
    assert lines(None, 50) == interrupted
    assert lines(held, 150) == interrupted
    assert lines({**held, "owner": "run-b"}, 50) == interrupted
    assert lines({**held, "process": {**process.identity(), "start": "1"}}, 50) == interrupted


@pytest.mark.parametrize(("answer", "labels", "expected"), [
    ("7", {"image_version": "1.0.0+build.7", "image_build": "7"}, ("1.0.0+build.7", 7)),
    (7, {"image_version": "1.0.0+build.7", "image_build": "7"}, ("1.0.0+build.7", 7)),
    ("1.0.2+build.9", {"image_version": "1.0.2+build.8", "image_build": "8"},
     ("1.0.2+build.9", 9)),
    ("", {"image_version": "1.0.2+build.8", "image_build": "8"}, ("1.0.2+build.8", 8)),
    ("not a version", {"image_version": "", "image_build": ""}, ("not a version", None)),
])
def test_status_reads_the_build_from_what_the_release_answers(
        answer: str | int, labels: dict[str, str], expected: tuple[str, int | None]) -> None:
    found = HostStatus.from_report(host("app-1", container="demo-app-b7-p8001", answer=answer,
                                        **labels), "host-app-1.json").as_json("")
    assert (found["serving"], found["serving_build"]) == expected
    assert not {"answer", "image_version", "image_build"} & set(found)


def test_nothing_serves_without_a_container() -> None:
    found = HostStatus.from_report(host("app-1", answer="7", image_build="7"), "h.json")
    assert (found.serving, found.serving_build) == ("", None)
