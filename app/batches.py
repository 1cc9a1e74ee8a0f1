"""Group commit: the visits that arrive while one is on its way to the database go together.

A page view's cost is mostly not its statement but the trip: the database process woken, the
statement run and committed, the commit's WAL flush waited for, the thread put to sleep and
woken again. Concurrent visits of one worker process share that trip here. No visit waits for
company: the first one goes at once, alone; the ones that arrive while it is in flight queue,
and when it returns the first of them takes the whole queue in one statement. A batch therefore
holds at most as many visits as the process has threads, and each visit is answered only after
the statement that counted it committed.

It is the leader/follower pattern with no thread of its own: a visit's thread either runs a
batch (the leader) or sleeps until the leader hands it its result, or hands it the next batch.
"""
import threading
from typing import Callable, Generic, Sequence, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Waiter(Generic[Item, Result]):
    """One submitted item: its result or error, once its batch ran, or the turn to lead."""

    __slots__ = ("item", "ready", "leads", "result", "error")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.ready = threading.Event()
        self.leads = False
        self.result: Result | None = None
        self.error: BaseException | None = None

    def outcome(self) -> Result:
        """The result, or the batch's error raised (in every thread of the batch, as
        ``concurrent.futures.Future.result`` raises one stored exception in each caller)."""
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]  # set for every item of a batch


class Batcher(Generic[Item, Result]):
    """Runs ``run_batch(items)`` for items submitted from many threads, one batch at a time.

    ``run_batch`` returns one result per item, in order; an exception it raises is raised to
    every submitter of that batch, and the next batch runs all the same.
    """

    def __init__(self, run_batch: Callable[[Sequence[Item]], Sequence[Result]]) -> None:
        self.run_batch = run_batch
        self.lock = threading.Lock()
        self.queue: list[Waiter[Item, Result]] = []
        self.running = False

    def submit(self, item: Item) -> Result:
        """``item``'s result, after the batch that holds it ran (in this thread or another)."""
        waiter: Waiter[Item, Result] = Waiter(item)
        with self.lock:
            self.queue.append(waiter)
            leads = not self.running
            self.running = True
        if not leads:
            waiter.ready.wait()
            if not waiter.leads:
                return waiter.outcome()
        self.lead()
        return waiter.outcome()

    def lead(self) -> None:
        """Run everything queued (this thread's item included) as one batch, then hand the
        lead to the first item queued meanwhile, or stand down."""
        with self.lock:
            batch, self.queue = self.queue, []
        try:
            results = self.run_batch([waiter.item for waiter in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} returned {len(results)} results")
            for waiter, result in zip(batch, results):
                waiter.result = result
        except BaseException as error:  # every submitter hears of it, whatever it is
            for waiter in batch:
                waiter.error = error
        finally:
            with self.lock:
                if self.queue:
                    self.queue[0].leads = True
                    self.queue[0].ready.set()
                else:
                    self.running = False
            for waiter in batch:
                waiter.ready.set()
