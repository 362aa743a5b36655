"""Which segments to delete: retention by age, and purge by disk fill.

The fill purge deletes the segment whose age is largest *relative to its
camera's retention* first, so when a volume is too small every camera keeps
the same fraction of its configured duration (a 30-day camera keeps twice the
history of a 15-day one). Protected ranges and segments still being written
are never chosen.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from recorder.index import Index, Protected, Segment

log = logging.getLogger(__name__)
DAY = 86400.0


def is_protected(segment: Segment, protected: Iterable[Protected]) -> bool:
    return any(p.covers(segment.camera, segment.start, segment.end) for p in protected)


def expired(
    segments: Iterable[Segment],
    retention_days: dict[str, float],
    now: float,
    protected: Sequence[Protected],
) -> list[Segment]:
    """Complete segments that ended before their camera's retention window.

    Cameras no longer configured keep their recordings (retention unknown).
    """
    out = []
    for seg in segments:
        days = retention_days.get(seg.camera)
        if days is None or not seg.complete:
            continue
        if seg.end < now - days * DAY and not is_protected(seg, protected):
            out.append(seg)
    return out


def plan_fill_purge(
    segments: Iterable[Segment],
    retention_days: dict[str, float],
    now: float,
    bytes_to_free: int,
    protected: Sequence[Protected],
) -> list[Segment]:
    """Segments to delete to free `bytes_to_free`, relatively oldest first."""
    default = max(retention_days.values(), default=30.0)

    def relative_age(seg: Segment) -> float:
        return (now - seg.start) / (retention_days.get(seg.camera, default) * DAY)

    candidates = sorted(
        (s for s in segments if s.complete and not is_protected(s, protected)),
        key=relative_age,
        reverse=True,
    )
    chosen: list[Segment] = []
    freed = 0
    for seg in candidates:
        if freed >= bytes_to_free:
            break
        chosen.append(seg)
        freed += seg.bytes
    return chosen


def delete_segments(index: Index, segments: Iterable[Segment]) -> tuple[int, int]:
    """Remove files and rows; return (count, bytes). Empty day/camera directories go too."""
    count = size = 0
    for seg in segments:
        path = Path(seg.path)
        try:
            size += path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.error("cannot delete %s: %s", path, exc)
            continue
        index.delete_segment(seg.id)
        count += 1
        for parent in (path.parent, path.parent.parent):
            try:
                parent.rmdir()
            except OSError:
                break  # not empty
    return count, size


@dataclass
class PurgeReport:
    expired: int = 0
    filled: int = 0
    bytes: int = 0


def purge_volume(
    index: Index,
    volume: str,
    root: Path,
    retention_days: dict[str, float],
    now: float,
    threshold_percent: float,
    target_percent: float,
    usage: Callable[[Path], tuple[int, int]] | None = None,
) -> PurgeReport:
    """Apply retention, then delete by fill until the volume is under `target_percent`."""
    report = PurgeReport()
    protected = index.protected()
    segments = index.segments(volume=volume)
    count, size = delete_segments(index, expired(segments, retention_days, now, protected))
    report.expired, report.bytes = count, size
    used, total = (usage or _usage)(root)
    if total and 100.0 * used / total > threshold_percent:
        to_free = int(used - total * target_percent / 100.0)
        plan = plan_fill_purge(index.segments(volume=volume), retention_days, now, to_free, protected)
        count, size = delete_segments(index, plan)
        report.filled, report.bytes = count, report.bytes + size
        if count:
            log.warning(
                "volume %s over %.0f%%: purged %d segments (%d MB)",
                volume,
                threshold_percent,
                count,
                size // 2**20,
            )
    return report


def _usage(root: Path) -> tuple[int, int]:
    st = os.statvfs(root)
    total = st.f_blocks * st.f_frsize
    return total - st.f_bavail * st.f_frsize, total
