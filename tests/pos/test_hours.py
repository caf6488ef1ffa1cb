"""Opening hours, menu windows and order slots, on the location's own wall clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from posbridge.pos import hours

NY = "America/New_York"
EVERY_DAY = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_open_inside_and_closed_outside_hours_in_the_location_time_zone() -> None:
    week = [{"day": d, "open": "11:00", "close": "22:00"} for d in EVERY_DAY]
    # 15:30 UTC is 10:30 in New York (EST): not yet open, although it is past 11:00 in UTC.
    assert not hours.is_open(week, NY, utc(2026, 11, 27, 15, 30))
    assert hours.is_open(week, NY, utc(2026, 11, 27, 16, 0))  # 11:00 sharp opens
    assert hours.is_open(week, NY, utc(2026, 11, 28, 2, 59))  # 21:59
    assert not hours.is_open(week, NY, utc(2026, 11, 28, 3, 0))  # 22:00 sharp is closed


def test_same_instant_is_open_in_one_zone_and_closed_in_another() -> None:
    week = [{"day": d, "open": "09:00", "close": "17:00"} for d in EVERY_DAY]
    at = utc(2026, 11, 27, 20, 0)
    assert hours.is_open(week, NY, at)  # 15:00 in New York
    assert not hours.is_open(week, "Europe/Berlin", at)  # 21:00 in Berlin


def test_the_day_is_the_local_day_not_the_utc_day() -> None:
    friday_only = [{"day": "FRI", "open": "20:00", "close": "23:00"}]
    # Saturday 01:30 UTC is still Friday 20:30 in New York.
    assert hours.is_open(friday_only, NY, utc(2026, 11, 28, 1, 30))
    assert not hours.is_open(friday_only, "UTC", utc(2026, 11, 28, 1, 30))


def test_24_00_ends_the_day_and_the_next_day_continues_from_00_00() -> None:
    split = [{"day": "FRI", "open": "18:00", "close": "24:00"}, {"day": "SAT", "open": "00:00", "close": "02:00"}]
    assert hours.is_open(split, "UTC", utc(2026, 11, 27, 23, 59))
    assert hours.is_open(split, "UTC", utc(2026, 11, 28, 0, 0))
    assert hours.is_open(split, "UTC", utc(2026, 11, 28, 1, 59))
    assert not hours.is_open(split, "UTC", utc(2026, 11, 28, 2, 0))


def test_a_window_ending_before_it_starts_runs_past_midnight() -> None:
    late = [{"day": "FRI", "open": "18:00", "close": "02:00"}]
    assert hours.is_open(late, "UTC", utc(2026, 11, 28, 1, 0))  # Saturday 01:00
    assert not hours.is_open(late, "UTC", utc(2026, 11, 28, 2, 0))
    assert not hours.is_open(late, "UTC", utc(2026, 11, 27, 1, 0))  # Friday 01:00: Thursday had no hours


def test_sunday_night_spills_into_monday() -> None:
    late = [{"day": "SUN", "open": "20:00", "close": "01:00"}]
    assert hours.is_open(late, "UTC", utc(2026, 11, 30, 0, 30))  # Monday 00:30


def test_no_hours_means_no_restriction_and_empty_windows_never_open() -> None:
    assert hours.is_open([], NY, utc(2026, 11, 27, 8, 0))
    assert not hours.is_open([{"day": "FRI", "open": "10:00", "close": "10:00"}], "UTC", utc(2026, 11, 27, 10, 0))


def test_menu_availability_windows() -> None:
    brunch = [{"days": ["SAT", "SUN"], "from": "10:00", "to": "14:00"}]
    assert hours.menu_available(None, NY, utc(2026, 11, 27, 8, 0))  # no windows: whenever open
    assert not hours.menu_available(brunch, NY, utc(2026, 11, 27, 16, 0))  # Friday 11:00
    assert hours.menu_available(brunch, NY, utc(2026, 11, 28, 16, 0))  # Saturday 11:00
    assert not hours.menu_available(brunch, NY, utc(2026, 11, 28, 19, 0))  # Saturday 14:00
    assert not hours.menu_available([], NY, utc(2026, 11, 28, 16, 0))  # an empty list: never


def test_dst_changes_the_utc_time_of_local_opening() -> None:
    week = [{"day": d, "open": "11:00", "close": "22:00"} for d in EVERY_DAY]
    assert hours.is_open(week, NY, utc(2026, 7, 3, 15, 0))  # EDT: 11:00 local is 15:00 UTC
    assert not hours.is_open(week, NY, utc(2026, 12, 4, 15, 0))  # EST: 15:00 UTC is 10:00 local


@pytest.mark.parametrize("bad", ["25:00", "12:60", "noon", "7", "24:00"])
def test_bad_clock_strings_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        hours.is_open([{"day": "MON", "open": bad, "close": "23:00"}], "UTC", utc(2026, 11, 30, 12, 0))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        hours.is_open([{"day": "MON", "open": "00:00", "close": "24:00"}], "UTC", datetime(2026, 11, 30, 12, 0))


def test_slot_start_is_aligned_to_local_midnight() -> None:
    assert hours.slot_start(utc(2026, 11, 27, 23, 7, 30), NY, 15) == utc(2026, 11, 27, 23, 0)
    assert hours.slot_start(utc(2026, 11, 27, 23, 15), NY, 15) == utc(2026, 11, 27, 23, 15)
    # India is UTC+5:30: an hour-long slot starts on the local hour, i.e. at :30 UTC.
    assert hours.slot_start(utc(2026, 11, 27, 12, 45), "Asia/Kolkata", 60) == utc(2026, 11, 27, 12, 30)


def test_slot_start_on_a_dst_change_day_keeps_real_slot_lengths() -> None:
    # 8 Mar 2026, New York springs forward at 02:00 EST → 03:00 EDT. 03:20 EDT = 07:20 UTC.
    assert hours.slot_start(utc(2026, 3, 8, 7, 20), NY, 15) == utc(2026, 3, 8, 7, 15)
    assert hours.slot_start(utc(2026, 3, 8, 7, 20), NY, 60) == utc(2026, 3, 8, 7, 0)


def test_clock_text_names_the_local_day_and_time() -> None:
    assert hours.clock_text(utc(2026, 11, 28, 1, 30), NY) == "FRI 20:30 (America/New_York)"
