"""A clock a test moves by hand, and waits it ends by hand, for code that takes `clock=` or `wait=`
instead of reading the time or waiting itself."""

from __future__ import annotations

import heapq
import threading


class ManualClock:
    """Seconds (monotonic or epoch, as the caller wants); time passes only when the test says so."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass."""
        self.now += seconds


class VirtualTime:
    """A ManualClock moved by the sleeps of a known set of threads, only when every one of them sleeps.

    A thread's `sleep(s)` waits until the clock reaches its wake time. The clock jumps to the earliest
    wake time only once no thread is running, so work in progress (a request on its way) never sees time
    pass under it, and every run of the same threads sees the same times, whatever the machine's load.
    Each thread calls `done()` when it ends.
    """

    def __init__(self, clock: ManualClock, threads: int, *, stuck_after: float = 60.0) -> None:
        self.clock = clock
        self._running = threads
        self._wakes: list[float] = []
        self._cond = threading.Condition()
        self._stuck_after = stuck_after

    def sleep(self, seconds: float) -> None:
        """Sleep `seconds` of virtual time (returns when the clock has reached the wake time)."""
        with self._cond:
            wake = self.clock.now + max(0.0, seconds)
            heapq.heappush(self._wakes, wake)
            self._running -= 1
            self._advance()
            if not self._cond.wait_for(lambda: self.clock.now >= wake, timeout=self._stuck_after):
                raise AssertionError("virtual time is stuck: a thread neither sleeps nor calls done()")

    def done(self) -> None:
        """This thread has ended: time may move without it."""
        with self._cond:
            self._running -= 1
            self._advance()

    def _advance(self) -> None:
        if self._running > 0 or not self._wakes:
            return
        self.clock.now = max(self.clock.now, self._wakes[0])
        # The woken count as running from now, before they are scheduled: no second jump overtakes them.
        while self._wakes and self._wakes[0] <= self.clock.now:
            heapq.heappop(self._wakes)
            self._running += 1
        self._cond.notify_all()


class SteppedWait:
    """Stands in for `Event.wait(seconds)` in a background loop: each wait lasts until the test's `step()`.

    A wait whose event is set returns True at once, as `Event.wait` does, so the loop's owner can stop it.
    """

    def __init__(self, *, stuck_after: float = 30.0) -> None:
        self.asked: list[float] = []  # the seconds of each wait, in order
        self._steps = 0
        self._waiting = False
        self._cond = threading.Condition()
        self._stuck_after = stuck_after

    def __call__(self, event: threading.Event, seconds: float) -> bool:
        with self._cond:
            self.asked.append(seconds)
            self._waiting = True
            self._cond.notify_all()
            try:
                while not self._steps:
                    if event.is_set():
                        return True
                    # Whoever sets the event does not know this condition: look at the event often.
                    self._cond.wait(0.01)
                self._steps -= 1
                return event.is_set()
            finally:
                self._waiting = False

    def step(self) -> None:
        """End the loop's current wait; return once it has done its work and waits again."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._waiting, timeout=self._stuck_after):
                raise AssertionError("the loop never waited")
            waits = len(self.asked)
            self._steps += 1
            self._cond.notify_all()
            if not self._cond.wait_for(lambda: len(self.asked) > waits, timeout=self._stuck_after):
                raise AssertionError("the loop did not wait again (it ended, or its work is stuck)")
