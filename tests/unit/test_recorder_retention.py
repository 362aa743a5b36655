from __future__ import annotations

import pytest

from recorder.index import Protected, Segment
from recorder.retention import DAY, expired, plan_fill_purge

NOW = 2_000_000_000.0
HOUR = 3600.0


def seg(i: int, camera: str, age_hours: float, size: int = 100, complete: bool = True) -> Segment:
    start = NOW - age_hours * HOUR
    return Segment(i, camera, "main", "continuous", "v", f"/v/{i}.mkv", start, start + 60, size, [], complete)


@pytest.mark.unit
def test_retention_expires_old_segments_except_protected_and_unknown_cameras() -> None:
    segments = [seg(1, "a", 30), seg(2, "a", 10), seg(3, "b", 30), seg(4, "gone", 1000), seg(5, "a", 40)]
    guard = [Protected(1, "a", NOW - 41 * HOUR, NOW - 39 * HOUR, "")]
    out = expired(segments, {"a": 1, "b": 2}, NOW, guard)
    assert [s.id for s in out] == [1]


@pytest.mark.unit
def test_fill_purge_keeps_each_camera_the_same_fraction_of_its_retention() -> None:
    segments = [seg(i, "a", i) for i in range(1, 49)]  # 48 h, 2-day retention
    segments += [seg(100 + i, "b", i / 2) for i in range(1, 49)]  # 24 h, 1-day retention
    plan = plan_fill_purge(segments, {"a": 2, "b": 1}, NOW, 48 * 100, [])
    chosen = {s.id for s in plan}
    left_a = max(NOW - s.start for s in segments if s.camera == "a" and s.id not in chosen)
    left_b = max(NOW - s.start for s in segments if s.camera == "b" and s.id not in chosen)
    assert len(plan) == 48
    assert left_a / (2 * DAY) == pytest.approx(left_b / DAY, abs=0.03)


@pytest.mark.unit
def test_fill_purge_never_picks_protected_or_unfinished_segments() -> None:
    segments = [seg(1, "a", 50), seg(2, "a", 49, complete=False), seg(3, "a", 1)]
    guard = [Protected(1, "a", NOW - 51 * HOUR, NOW - 49.5 * HOUR, "")]
    plan = plan_fill_purge(segments, {"a": 1}, NOW, 10_000, guard)
    assert [s.id for s in plan] == [3]


@pytest.mark.unit
def test_fill_purge_stops_once_enough_is_freed() -> None:
    segments = [seg(i, "a", i, size=1000) for i in range(1, 11)]
    plan = plan_fill_purge(segments, {"a": 1}, NOW, 2500, [])
    assert [s.id for s in plan] == [10, 9, 8]
