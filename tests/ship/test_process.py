"""Whether a deploy lock's process is gone: real processes, this machine's /proc."""
import socket
import subprocess

from pipeline.ship import process


def test_this_process_is_not_gone() -> None:
    assert not process.gone(process.identity())


def test_a_process_that_ended_is_gone() -> None:
    child = subprocess.Popen(["sleep", "30"])
    recorded = {"host": socket.gethostname(), "pid": child.pid,
                "start": process.start_time(child.pid)}
    assert not process.gone(recorded)
    child.kill()
    child.wait()
    assert process.gone(recorded)


def test_a_reused_pid_is_told_apart_by_its_start_time() -> None:
    recorded = {**process.identity(), "start": "1"}
    assert process.gone(recorded)


def test_a_process_of_another_machine_or_an_old_lock_is_never_judged_gone() -> None:
    assert not process.gone({"host": "elsewhere", "pid": 2 ** 22, "start": "1"})
    assert not process.gone({})
    assert not process.gone(None)
