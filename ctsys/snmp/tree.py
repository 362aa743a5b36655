"""The product subtree: State -> sorted (OID, type, value) rows, as CT-SERVER-MIB defines.

OIDs are relative to ctObjects (enterprises.PEN.1); `Tree` answers get and
getnext with a binary search, so a walk of a thousand rows stays cheap.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass

from ctsys.snmp.state import State

Oid = tuple[int, ...]

SERVICE_STATES = {"active": 1, "inactive": 2, "failed": 3, "activating": 4, "unknown": 5}
SMART_HEALTH = {"passed": 1, "failed": 2, "unknown": 3}
RAID_STATES = {"clean": 1, "degraded": 2, "rebuilding": 3, "failed": 4, "unknown": 5}
CAMERA_STATES = {"recording": 1, "connecting": 2, "disconnected": 3, "disabled": 4, "unknown": 5}
GAUGE_MAX = 2**32 - 1


@dataclass(frozen=True)
class Row:
    oid: Oid
    type: str  # pass_persist type: integer, gauge, counter, timeticks, string
    value: int | str


def _gauge(value: float) -> int:
    return max(0, min(GAUGE_MAX, round(value)))


def _mib(value: int) -> int:
    return min(GAUGE_MAX, max(0, value) // 2**20)  # whole MiB: never overstate a capacity


def _text(value: str) -> str:
    # DisplayString: printable ASCII on one line, at most 255 characters.
    return "".join(c if " " <= c <= "~" else "?" for c in value)[:255]


def rows(state: State) -> Iterator[Row]:
    a = state.appliance
    yield Row((1, 1, 0), "string", _text(a.version))
    yield Row((1, 2, 0), "string", _text(a.image_version))
    yield Row((1, 3, 0), "string", _text(a.hostname))
    yield Row((1, 4, 0), "timeticks", a.uptime_seconds * 100 % 2**32)  # TimeTicks wrap, as sysUpTime
    for i, load in enumerate(a.load[:3]):
        yield Row((1, 5 + i, 0), "gauge", _gauge(load * 100))
    yield Row((1, 8, 0), "gauge", _mib(a.memory_total_bytes))
    yield Row((1, 9, 0), "gauge", _gauge(a.memory_used_percent))
    if a.temperature_celsius is not None:
        yield Row((1, 10, 0), "integer", round(a.temperature_celsius))

    # Tables: column by column (the order a walk visits them), rows indexed from 1.
    yield from _table(
        2,
        [
            (2, "string", [_text(s.name) for s in state.services]),
            (3, "string", [_text(s.unit) for s in state.services]),
            (4, "integer", [SERVICE_STATES.get(s.state, 5) for s in state.services]),
        ],
    )
    yield from _table(
        3,
        [
            (2, "string", [_text(d.name) for d in state.disks]),
            (3, "string", [_text(d.serial) for d in state.disks]),
            (4, "gauge", [_mib(d.size_bytes) for d in state.disks]),
            (5, "gauge", [_gauge(d.used_percent) for d in state.disks]),
            (6, "integer", [SMART_HEALTH.get(d.smart_health, 3) for d in state.disks]),
            (
                7,
                "integer",
                [None if d.temperature_celsius is None else round(d.temperature_celsius) for d in state.disks],
            ),
        ],
    )
    yield from _table(
        4,
        [
            (2, "string", [_text(r.name) for r in state.raids]),
            (3, "string", [_text(r.level) for r in state.raids]),
            (4, "integer", [RAID_STATES.get(r.state, 5) for r in state.raids]),
            (5, "gauge", [r.members for r in state.raids]),
            (6, "gauge", [r.failed_members for r in state.raids]),
        ],
    )
    yield from _table(
        5,
        [
            (2, "string", [_text(i.name) for i in state.interfaces]),
            (3, "string", [_text(i.role) for i in state.interfaces]),
            (4, "integer", [1 if i.up else 2 for i in state.interfaces]),
            (5, "gauge", [_gauge(i.speed_mbps) for i in state.interfaces]),
        ],
    )
    yield from _table(
        6,
        [
            (2, "string", [_text(c.name) for c in state.cameras]),
            (3, "integer", [CAMERA_STATES.get(c.state, 5) for c in state.cameras]),
            (4, "gauge", [_gauge(c.fps * 100) for c in state.cameras]),
            (5, "gauge", [_gauge(c.bitrate_kbps) for c in state.cameras]),
            (6, "string", [_text(c.last_disconnect) for c in state.cameras]),
        ],
    )
    r = state.recorder
    yield Row((7, 1, 0), "gauge", _gauge(r.cameras))
    yield Row((7, 2, 0), "gauge", _gauge(r.cameras_recording))
    yield Row((7, 3, 0), "gauge", _gauge(r.bitrate_kbps))
    yield Row((7, 4, 0), "counter", r.written_bytes // 2**20 % 2**32)  # Counter32 wraps


def _table(number: int, columns: list[tuple[int, str, list[int | str | None]]]) -> Iterator[Row]:
    for column, kind, values in columns:
        for index, value in enumerate(values, 1):
            if value is not None:
                yield Row((number, 1, column, index), kind, value)


def parse_oid(text: str) -> Oid:
    text = text.strip().lstrip(".")
    return tuple(int(p) for p in text.split(".")) if text else ()


class Tree:
    """The rows under `base` (ctObjects), sorted, with get and getnext."""

    def __init__(self, base: Oid, state: State) -> None:
        self.base = base
        self.rows = sorted(rows(state), key=lambda r: r.oid)
        self.keys = [base + r.oid for r in self.rows]

    def get(self, oid: Oid) -> Row | None:
        i = bisect.bisect_left(self.keys, oid)
        return self.rows[i] if i < len(self.keys) and self.keys[i] == oid else None

    def getnext(self, oid: Oid) -> Row | None:
        i = bisect.bisect_right(self.keys, oid)
        return self.rows[i] if i < len(self.keys) else None

    def absolute(self, row: Row) -> str:
        return "." + ".".join(str(p) for p in self.base + row.oid)
