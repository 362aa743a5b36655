from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recorder.schedule import DAYS, ScheduleError, WeeklySchedule

MONDAY = dt.datetime(2026, 11, 23)  # a Monday


@pytest.mark.unit
def test_ranges_are_active_on_their_quarter_hours_only() -> None:
    schedule = WeeklySchedule.parse({"mon": ["08:00-12:15"], "sun": "23:45-24:00"})
    assert not schedule.active(MONDAY.replace(hour=7, minute=59))
    assert schedule.active(MONDAY.replace(hour=8))
    assert schedule.active(MONDAY.replace(hour=12, minute=14))
    assert not schedule.active(MONDAY.replace(hour=12, minute=15))
    sunday = MONDAY + dt.timedelta(days=6)
    assert schedule.active(sunday.replace(hour=23, minute=50))
    assert not schedule.active((MONDAY + dt.timedelta(days=1)).replace(hour=9))


@pytest.mark.unit
@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"mon": ["08:10-09:00"]}, "not on a quarter hour"),
        ({"mon": ["09:00-08:00"]}, "end is not after the start"),
        ({"monday": ["08:00-09:00"]}, "is not a day"),
        ({"mon": ["8-9"]}, "is not HH:MM"),
        ({"mon": ["08:00-25:00"]}, "outside 00:00-24:00"),
        (42, "expected 'always'"),
    ],
)
def test_bad_schedules_name_the_problem(spec: object, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        WeeklySchedule.parse(spec)


@pytest.mark.unit
def test_always_and_never() -> None:
    assert WeeklySchedule.parse("always").active(MONDAY)
    assert not WeeklySchedule.parse("never").active(MONDAY)
    assert WeeklySchedule.parse("always").to_spec() == "always"


slots = st.frozensets(st.integers(0, 7 * 96 - 1))


@pytest.mark.unit
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(slots)
def test_to_spec_round_trips(chosen: frozenset[int]) -> None:
    schedule = WeeklySchedule(chosen)
    assert WeeklySchedule.parse(schedule.to_spec()) == schedule


@pytest.mark.unit
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 6), st.integers(0, 95))
def test_a_single_slot_is_active_exactly_in_its_quarter_hour(day: int, slot: int) -> None:
    start = f"{slot * 15 // 60:02d}:{slot * 15 % 60:02d}"
    end_minutes = slot * 15 + 15
    end = f"{end_minutes // 60:02d}:{end_minutes % 60:02d}"
    schedule = WeeklySchedule.parse({DAYS[day]: [f"{start}-{end}"]})
    moment = MONDAY + dt.timedelta(days=day, minutes=slot * 15)
    assert schedule.active(moment)
    assert schedule.active(moment + dt.timedelta(minutes=14, seconds=59))
    assert not schedule.active(moment + dt.timedelta(minutes=15))
    assert not schedule.active(moment - dt.timedelta(seconds=1))
