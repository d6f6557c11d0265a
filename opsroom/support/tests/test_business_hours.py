"""The SLA clock: business hours in a timezone or calendar hours, minus pauses (pure)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from opsroom.support.business_hours import (
    Calendar,
    clock_add,
    clock_minutes,
    hours_format,
    hours_parse,
)

BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_FIVE = (*[(9 * 60, 17 * 60)] * 5, None, None)
OFFICE = Calendar(timezone="Europe/Berlin", hours=NINE_TO_FIVE)
ALWAYS = Calendar(timezone="Europe/Berlin", hours=((0, 1440),) * 7)


def berlin(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def test_calendar_hours_add_plain_time():
    start = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)  # a Friday
    assert clock_add(start, 90, None) == start + timedelta(minutes=90)
    assert clock_minutes(start, start + timedelta(days=3), None) == 3 * 24 * 60


def test_within_a_working_day():
    assert clock_add(berlin(2026, 3, 3, 10, 0), 120, OFFICE) == berlin(2026, 3, 3, 12, 0)


def test_the_weekend_is_skipped():
    # Friday 16:00 plus two working hours: one on Friday, one on Monday morning.
    assert clock_add(berlin(2026, 3, 6, 16, 0), 120, OFFICE) == berlin(2026, 3, 9, 10, 0)
    assert clock_minutes(berlin(2026, 3, 6, 16, 0), berlin(2026, 3, 9, 10, 0), OFFICE) == 120


def test_a_ticket_created_after_hours_starts_the_next_working_morning():
    assert clock_add(berlin(2026, 3, 3, 20, 0), 60, OFFICE) == berlin(2026, 3, 4, 10, 0)
    # Before opening: the clock starts at nine.
    assert clock_add(berlin(2026, 3, 4, 7, 0), 30, OFFICE) == berlin(2026, 3, 4, 9, 30)
    # Saturday: Monday morning.
    assert clock_add(berlin(2026, 3, 7, 11, 0), 60, OFFICE) == berlin(2026, 3, 9, 10, 0)


def test_a_target_ending_exactly_at_closing_time_is_due_then():
    assert clock_add(berlin(2026, 3, 3, 9, 0), 8 * 60, OFFICE) == berlin(2026, 3, 3, 17, 0)


def test_a_target_longer_than_a_working_day_runs_over_several():
    # 20 working hours from Thursday 09:00: Thursday 8, Friday 8, Monday 4.
    assert clock_add(berlin(2026, 3, 5, 9, 0), 20 * 60, OFFICE) == berlin(2026, 3, 9, 13, 0)


def test_working_hours_are_local_across_the_spring_daylight_saving_change():
    # Berlin moves from UTC+1 to UTC+2 on Sunday 29 March 2026.
    due = clock_add(berlin(2026, 3, 27, 16, 0), 120, OFFICE)
    assert due == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # Monday 10:00 CEST
    assert due is not None
    assert due.astimezone(BERLIN).hour == 10


def test_the_day_of_a_daylight_saving_change_is_shorter_or_longer():
    spring = clock_minutes(berlin(2026, 3, 29, 0, 0), berlin(2026, 3, 30, 0, 0), ALWAYS)
    autumn = clock_minutes(berlin(2026, 10, 25, 0, 0), berlin(2026, 10, 26, 0, 0), ALWAYS)
    assert (spring, autumn) == (23 * 60, 25 * 60)
    # 24 hours of clock time from Saturday noon end at 13:00 on Sunday (an hour went missing).
    assert clock_add(berlin(2026, 3, 28, 12, 0), 24 * 60, ALWAYS) == berlin(2026, 3, 29, 13, 0)


def test_a_working_hour_inside_the_spring_gap_reads_after_it():
    # Hours starting at 02:30, a time that does not exist on 29 March in Berlin.
    early = Calendar(timezone="Europe/Berlin", hours=((150, 300),) * 7)
    # 02:30 read with the offset before the change is 01:30 UTC, i.e. 03:30 CEST.
    assert clock_add(berlin(2026, 3, 29, 0, 0), 0, early) == datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC
    )
    assert clock_add(berlin(2026, 3, 29, 0, 0), 30, early) == datetime(
        2026, 3, 29, 2, 0, tzinfo=UTC
    )
    # The day's span ends at 05:00 CEST (03:00 UTC): 90 minutes of work that day, not 150.
    assert clock_minutes(berlin(2026, 3, 29, 0, 0), berlin(2026, 3, 30, 0, 0), early) == 90


def test_a_pause_moves_the_target_by_its_length_in_calendar_hours():
    start = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    pause = (start + timedelta(hours=1), start + timedelta(hours=3))
    assert clock_add(start, 180, None, [pause]) == start + timedelta(hours=5)
    assert clock_minutes(start, start + timedelta(hours=5), None, [pause]) == 180


def test_a_pause_counts_only_its_working_time_in_business_hours():
    # Paused from Tuesday 16:00 to Wednesday 10:00: one working hour on each side of the night.
    pause = (berlin(2026, 3, 3, 16, 0), berlin(2026, 3, 4, 10, 0))
    due = clock_add(berlin(2026, 3, 3, 9, 0), 8 * 60, OFFICE, [pause])
    assert due == berlin(2026, 3, 4, 11, 0)  # 7 hours Tuesday, then 1 from 10:00 Wednesday


def test_a_pause_that_never_ends_stops_the_clock():
    start = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    waiting = (start + timedelta(hours=1), None)
    assert clock_add(start, 120, None, [waiting]) is None
    assert clock_add(start, 30, None, [waiting]) == start + timedelta(minutes=30)  # due before
    assert clock_add(berlin(2026, 3, 3, 9, 0), 600, OFFICE, [(berlin(2026, 3, 4, 9, 0), None)]) is (
        None
    )
    assert clock_minutes(start, start + timedelta(days=2), None, [waiting]) == 60


def test_pause_and_resume_several_times():
    start = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    pauses = [
        (start + timedelta(minutes=10), start + timedelta(minutes=40)),
        (start + timedelta(minutes=50), start + timedelta(minutes=80)),
    ]
    # Runs 10, paused 30, runs 10, paused 30, then the last 40 minutes.
    assert clock_add(start, 60, None, pauses) == start + timedelta(minutes=120)
    # A pause before the start changes nothing.
    earlier = [(start - timedelta(hours=2), start - timedelta(hours=1))]
    assert clock_add(start, 60, None, earlier) == start + timedelta(hours=1)


def test_minutes_between_backwards_moments_are_zero():
    start = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    assert clock_minutes(start, start - timedelta(hours=1), OFFICE) == 0.0


def test_a_calendar_needs_a_known_timezone_and_a_working_day():
    with pytest.raises(ValueError, match="at least one day"):
        Calendar(timezone="UTC", hours=(None,) * 7)
    with pytest.raises(ZoneInfoNotFoundError):
        Calendar(timezone="Mars/Olympus", hours=NINE_TO_FIVE)
    with pytest.raises(ValueError, match="start < end"):
        Calendar(timezone="UTC", hours=((600, 500), *NINE_TO_FIVE[1:]))
    with pytest.raises(ValueError, match="seven"):
        Calendar(timezone="UTC", hours=NINE_TO_FIVE[:5])
    with pytest.raises(ValueError, match="negative"):
        clock_add(datetime(2026, 1, 1, tzinfo=UTC), -1, None)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("09:00-17:00", (540, 1020)),
        (" 8:30 - 12:00 ", (510, 720)),
        ("00:00-24:00", (0, 1440)),
        ("", None),
        ("closed", None),
    ],
    ids=["office", "spaces", "whole-day", "empty", "closed"],
)
def test_hours_parse(text, parsed):
    assert hours_parse(text) == parsed
    if parsed is not None:
        assert hours_parse(hours_format(parsed)) == parsed


@pytest.mark.parametrize(
    "text",
    ["17:00-09:00", "09:00", "9-17", "09:60-10:00", "25:00-26:00", "09:00-24:01", "a:bc-10:00"],
    ids=["backwards", "one-time", "no-minutes", "minute-60", "hour-25", "past-midnight", "letters"],
)
def test_hours_parse_refuses_nonsense(text):
    with pytest.raises(ValueError, match=r"time|HH:MM|ends before"):
        hours_parse(text)


# Holidays: local dates on which business hours do not run.

UTC_OFFICE = Calendar(timezone="UTC", hours=NINE_TO_FIVE)


def test_a_due_time_moves_past_a_weekend_and_a_holiday():
    from datetime import date

    christmas = Calendar(
        timezone="UTC", hours=NINE_TO_FIVE, holidays=frozenset({date(2026, 12, 25)})
    )
    start = datetime(2026, 12, 24, 16, 0, tzinfo=UTC)  # Thursday 16:00
    # 4 hours: 1 on Thursday, Friday 25th is a holiday, the weekend is off, 3 on Monday.
    assert clock_add(start, 240, UTC_OFFICE) == datetime(2026, 12, 25, 12, 0, tzinfo=UTC)
    assert clock_add(start, 240, christmas) == datetime(2026, 12, 28, 12, 0, tzinfo=UTC)
    # Monday 28th off too: Tuesday 12:00; and the minutes counted across them agree.
    both = Calendar(
        timezone="UTC",
        hours=NINE_TO_FIVE,
        holidays=frozenset({date(2026, 12, 25), date(2026, 12, 28)}),
    )
    due = clock_add(start, 240, both)
    assert due == datetime(2026, 12, 29, 12, 0, tzinfo=UTC)
    assert clock_minutes(start, due, both) == 240


def test_a_holiday_is_a_local_date():
    from datetime import date

    from opsroom.support.business_hours import is_working_time

    # Berlin 1 May 2026 (a Friday) is off; 08:30 UTC is 10:30 there.
    may_day = Calendar(
        timezone="Europe/Berlin", hours=NINE_TO_FIVE, holidays=frozenset({date(2026, 5, 1)})
    )
    assert is_working_time(datetime(2026, 5, 1, 8, 30, tzinfo=UTC), OFFICE)
    assert not is_working_time(datetime(2026, 5, 1, 8, 30, tzinfo=UTC), may_day)
    # Thursday 16:00 Berlin + 2 hours: 1 on Thursday, Friday off, Monday 4 May 10:00 Berlin.
    assert clock_add(berlin(2026, 4, 30, 16, 0), 120, may_day) == berlin(2026, 5, 4, 10, 0)
    assert not is_working_time(berlin(2026, 5, 2, 10, 0), may_day)  # a Saturday
    assert is_working_time(berlin(2026, 5, 4, 9, 0), may_day)
    assert not is_working_time(berlin(2026, 5, 4, 17, 0), may_day)  # the end is not inside
    assert is_working_time(berlin(2026, 5, 2, 10, 0), None)  # calendar hours: always
