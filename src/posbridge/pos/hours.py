"""Opening hours, menu availability windows and order slots, always in the location's own time zone.

Hours are `[{"day": "MON", "open": "11:00", "close": "22:00"}]`; menu availability is
`[{"days": ["MON"], "from": "17:00", "to": "22:00"}]`. `"24:00"` ends a day, and a window whose
end is not after its start runs past midnight into the next day (FRI 18:00–02:00 covers early
Saturday). An empty hours list means no restriction; so does a menu without availability.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")  # index = datetime.weekday(); the only list of day names
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class Window:
    """One weekly window: starts on `day` at `start` minutes, ends `end` minutes after that day's midnight.

    `end` may exceed a day (up to two days' minutes) when the window runs past midnight.
    """

    day: int
    start: int
    end: int

    def covers(self, weekday: int, minute: int) -> bool:
        """Whether local weekday/minute-of-day falls inside this window (start inclusive, end exclusive)."""
        if weekday == self.day and self.start <= minute < self.end:
            return True
        # The part that spills past midnight belongs to the next calendar day.
        return self.end > MINUTES_PER_DAY and weekday == (self.day + 1) % 7 and minute < self.end - MINUTES_PER_DAY


def parse_clock(value: str, *, allow_24: bool = False) -> int:
    """Minutes after midnight of an "HH:MM" string; "24:00" only where a window may end."""
    hours_text, sep, minutes_text = value.strip().partition(":")
    if not sep or not hours_text.isdigit() or not minutes_text.isdigit() or len(minutes_text) != 2:
        raise ValueError(f"not a time of day: {value!r}")
    hours, minutes = int(hours_text), int(minutes_text)
    if hours == 24 and minutes == 0 and allow_24:
        return MINUTES_PER_DAY
    if hours > 23 or minutes > 59:
        raise ValueError(f"not a time of day: {value!r}")
    return hours * 60 + minutes


def _day_index(name: str) -> int:
    try:
        return DAYS.index(name.strip().upper()[:3])
    except ValueError:
        raise ValueError(f"not a day of the week: {name!r}") from None


def window(day: str, start: str, end: str) -> Window | None:
    """A window from day name and clock strings; None for an empty one (start equals end)."""
    first = parse_clock(start)
    last = parse_clock(end, allow_24=True)
    if last == first:
        return None
    if last < first:
        last += MINUTES_PER_DAY  # runs past midnight
    return Window(_day_index(day), first, last)


def hours_windows(hours: Iterable[Mapping[str, Any]]) -> list[Window]:
    """Windows of a location's opening hours."""
    found = (window(str(h["day"]), str(h["open"]), str(h["close"])) for h in hours)
    return [w for w in found if w is not None]


def availability_windows(availability: Iterable[Mapping[str, Any]]) -> list[Window]:
    """Windows of a menu's availability (each entry lists several days)."""
    found = (window(str(day), str(entry["from"]), str(entry["to"])) for entry in availability for day in entry["days"])
    return [w for w in found if w is not None]


def local_time(at: datetime, timezone: str) -> datetime:
    """`at` on the location's wall clock; refuses naive datetimes."""
    if at.tzinfo is None:
        raise ValueError("naive datetime: time zones must be explicit")
    return at.astimezone(ZoneInfo(timezone))


def covered(windows: Iterable[Window], at: datetime, timezone: str) -> bool:
    """Whether any window covers instant `at` in the given time zone."""
    local = local_time(at, timezone)
    minute = local.hour * 60 + local.minute
    return any(w.covers(local.weekday(), minute) for w in windows)


def is_open(hours: Sequence[Mapping[str, Any]] | None, timezone: str, at: datetime) -> bool:
    """Whether a location with these hours is open at `at` (no hours listed = no restriction)."""
    if not hours:
        return True
    return covered(hours_windows(hours), at, timezone)


def menu_available(availability: Sequence[Mapping[str, Any]] | None, timezone: str, at: datetime) -> bool:
    """Whether a menu is offered at `at` (no availability = whenever the location is open)."""
    if availability is None:
        return True
    return covered(availability_windows(availability), at, timezone)


def slot_start(at: datetime, timezone: str, slot_minutes: int) -> datetime:
    """The start (UTC) of the order slot holding `at`; slots are aligned to the location's local midnight."""
    if slot_minutes <= 0:
        raise ValueError("slot_minutes must be positive")
    local = local_time(at, timezone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    # Elapsed real time since local midnight, so slots stay the right length on DST change days.
    elapsed = (local.astimezone(UTC) - midnight.astimezone(UTC)) // timedelta(minutes=1)
    start = midnight.astimezone(UTC) + timedelta(minutes=elapsed - elapsed % slot_minutes)
    return start.astimezone(UTC)


def clock_text(at: datetime, timezone: str) -> str:
    """`at` as the location's wall clock, e.g. "FRI 23:30 (America/New_York)", for messages."""
    local = local_time(at, timezone)
    return f"{DAYS[local.weekday()]} {local:%H:%M} ({timezone})"
