"""Weekly schedules at a quarter-hour resolution.

A week is 7 x 96 slots; a schedule is the set of active slots. The document
writes it per weekday as "HH:MM-HH:MM" ranges whose bounds fall on a quarter
hour ("24:00" closes a day), or as the words "always" / "never".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SLOTS_PER_DAY = 96
SLOT_MINUTES = 15


class ScheduleError(ValueError):
    """A schedule that cannot be parsed; the message names the day and the range."""


def _minutes(text: str, where: str) -> int:
    try:
        hours, minutes = text.strip().split(":")
        value = int(hours) * 60 + int(minutes)
    except ValueError:
        raise ScheduleError(f"{where}: {text!r} is not HH:MM") from None
    if not 0 <= value <= 24 * 60 or int(minutes) >= 60:
        raise ScheduleError(f"{where}: {text!r} is outside 00:00-24:00")
    if value % SLOT_MINUTES:
        raise ScheduleError(f"{where}: {text!r} is not on a quarter hour")
    return value


@dataclass(frozen=True)
class WeeklySchedule:
    """Active quarter-hours of the week, Monday 00:00 first (local time)."""

    slots: frozenset[int]

    @classmethod
    def always(cls) -> WeeklySchedule:
        return cls(frozenset(range(7 * SLOTS_PER_DAY)))

    @classmethod
    def never(cls) -> WeeklySchedule:
        return cls(frozenset())

    @classmethod
    def parse(cls, spec: object) -> WeeklySchedule:
        """Parse "always", "never" or {day: ["HH:MM-HH:MM", ...]} (days: mon..sun)."""
        if spec is None or spec == "always":
            return cls.always()
        if spec == "never":
            return cls.never()
        if not isinstance(spec, Mapping):
            raise ScheduleError(f"expected 'always', 'never' or a mapping of days, got {spec!r}")
        slots: set[int] = set()
        for day, ranges in spec.items():
            if day not in DAYS:
                raise ScheduleError(f"{day!r} is not a day (use {', '.join(DAYS)})")
            if isinstance(ranges, str):
                ranges = [ranges]
            if not isinstance(ranges, Sequence):
                raise ScheduleError(f"{day}: expected a list of HH:MM-HH:MM ranges")
            base = DAYS.index(day) * SLOTS_PER_DAY
            for item in ranges:
                where = f"{day} {item!r}"
                if not isinstance(item, str) or item.count("-") != 1:
                    raise ScheduleError(f"{where}: expected HH:MM-HH:MM")
                start_text, end_text = item.split("-")
                start, end = _minutes(start_text, where), _minutes(end_text, where)
                if end <= start:
                    raise ScheduleError(f"{where}: the end is not after the start")
                slots.update(base + m // SLOT_MINUTES for m in range(start, end, SLOT_MINUTES))
        return cls(frozenset(slots))

    def active(self, when: dt.datetime) -> bool:
        """True if `when` (an aware or naive local datetime) falls in an active slot."""
        slot = when.weekday() * SLOTS_PER_DAY + (when.hour * 60 + when.minute) // SLOT_MINUTES
        return slot in self.slots

    def to_spec(self) -> str | dict[str, list[str]]:
        """The inverse of parse, with adjacent quarter-hours merged."""
        if len(self.slots) == 7 * SLOTS_PER_DAY:
            return "always"
        if not self.slots:
            return "never"
        spec: dict[str, list[str]] = {}
        for index, day in enumerate(DAYS):
            day_slots = sorted(
                s - index * SLOTS_PER_DAY
                for s in self.slots
                if index * SLOTS_PER_DAY <= s < (index + 1) * SLOTS_PER_DAY
            )
            ranges: list[str] = []
            run_start = None
            for pos, slot in enumerate(day_slots):
                if run_start is None:
                    run_start = slot
                if pos + 1 == len(day_slots) or day_slots[pos + 1] != slot + 1:
                    ranges.append(f"{_hhmm(run_start)}-{_hhmm(slot + 1)}")
                    run_start = None
            if ranges:
                spec[day] = ranges
        return spec


def _hhmm(slot: int) -> str:
    minutes = slot * SLOT_MINUTES
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
