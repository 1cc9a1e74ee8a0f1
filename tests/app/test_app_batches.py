"""The group commit of visits (app/batches.py), with plain Python batches: no database."""
import threading
import time
from typing import Sequence

import pytest

from app.batches import Batcher


class Recording:
    """A batch function that records its batches and can be held inside a batch."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self.fail_next = False

    def __call__(self, items: Sequence[str]) -> list[str]:
        self.batches.append(list(items))
        self.entered.set()
        self.release.wait(10)
        if self.fail_next:
            self.fail_next = False
            raise ValueError(f"batch {items} failed")
        return [item.upper() for item in items]


def submit_in_thread(batcher: Batcher[str, str], item: str,
                     outcomes: dict[str, str | BaseException]) -> threading.Thread:
    def submit() -> None:
        try:
            outcomes[item] = batcher.submit(item)
        except BaseException as error:  # the outcome under test
            outcomes[item] = error
    thread = threading.Thread(target=submit)
    thread.start()
    return thread


def wait_for_queue(batcher: Batcher[str, str], length: int) -> None:
    deadline = time.monotonic() + 10
    while len(batcher.queue) < length:
        assert time.monotonic() < deadline, f"{len(batcher.queue)} queued, not {length}"
        time.sleep(0.001)


def hold_first_batch(batcher: Batcher[str, str], run: Recording,
                     outcomes: dict[str, str | BaseException]) -> list[threading.Thread]:
    """Submit "a" and keep its batch running; then queue "b", "c" and "d" behind it."""
    run.release.clear()
    threads = [submit_in_thread(batcher, "a", outcomes)]
    assert run.entered.wait(10)
    for item in "bcd":
        threads.append(submit_in_thread(batcher, item, outcomes))
    wait_for_queue(batcher, 3)
    return threads


def test_a_lone_item_goes_at_once_as_a_batch_of_one() -> None:
    run = Recording()
    batcher = Batcher(run)
    assert [batcher.submit("a"), batcher.submit("b")] == ["A", "B"]
    assert run.batches == [["a"], ["b"]]
    assert not batcher.running and not batcher.queue


def test_items_that_arrive_during_a_batch_go_together_in_the_next() -> None:
    run = Recording()
    batcher = Batcher(run)
    outcomes: dict[str, str | BaseException] = {}
    threads = hold_first_batch(batcher, run, outcomes)
    assert run.batches == [["a"]]  # nobody ran beside the batch in flight
    run.release.set()
    for thread in threads:
        thread.join(10)
    assert outcomes == {"a": "A", "b": "B", "c": "C", "d": "D"}
    assert len(run.batches) == 2 and sorted(run.batches[1]) == ["b", "c", "d"]
    assert not batcher.running and not batcher.queue


def test_a_failed_batch_fails_each_of_its_items_and_the_next_batch_still_runs() -> None:
    run = Recording()
    batcher = Batcher(run)
    outcomes: dict[str, str | BaseException] = {}
    run.fail_next = True
    threads = hold_first_batch(batcher, run, outcomes)
    run.release.set()
    for thread in threads:
        thread.join(10)
    assert isinstance(outcomes.pop("a"), ValueError)
    assert outcomes == {"b": "B", "c": "C", "d": "D"}
    run.fail_next = True
    with pytest.raises(ValueError, match=r"batch \['e'\] failed"):
        batcher.submit("e")
    assert batcher.submit("f") == "F"


def test_a_batch_with_a_result_missing_fails_instead_of_answering_the_wrong_item() -> None:
    batcher: Batcher[str, str] = Batcher(lambda items: list(items)[1:])
    with pytest.raises(RuntimeError, match="a batch of 1 returned 0 results"):
        batcher.submit("a")
    assert not batcher.running
