"""A clock a test moves by hand, for code that takes `clock=` instead of reading the time itself."""

from __future__ import annotations


class ManualClock:
    """Seconds (monotonic or epoch, as the caller wants); time passes only when the test says so."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass."""
        self.now += seconds
