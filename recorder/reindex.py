"""Rebuild the index from the segment files alone, and recover after a crash."""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from recorder.config import RecorderConfig
from recorder.index import Index
from recorder.layout import iter_segments, parse_name
from recorder.probe import probe_segment

log = logging.getLogger(__name__)
BUSY_SECONDS = 10.0


@dataclass
class ReindexReport:
    scanned: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unreadable: list[str] = field(default_factory=list)


def index_file(index: Index, volume: str, path: Path, report: ReindexReport, known: set[str]) -> None:
    name = parse_name(path)
    if name is None:
        return
    report.scanned += 1
    result = probe_segment(path)
    if result is None:
        report.unreadable.append(str(path))
        return
    # The start in the file's tag has ms precision too; the name is authoritative.
    index.upsert_segment(
        camera=name.camera,
        stream=name.stream,
        kind=name.kind,
        volume=volume,
        path=str(path),
        start=name.start,
        end=name.start + result.duration,
        size=result.size,
        keyframes=result.keyframes,
        complete=True,
    )
    if str(path) in known:
        report.updated += 1
    else:
        report.added += 1


def reindex(index: Index, config: RecorderConfig) -> ReindexReport:
    """Scan every volume; add or refresh a row per readable segment; drop rows of missing files."""
    report = ReindexReport()
    known = index.paths()
    # A segment the running daemon is writing (incomplete row, file touched in the last
    # seconds) stays the daemon's: marking it complete would expose it to the purge.
    now = time.time()
    busy = {s.path for s in index.incomplete() if _mtime(s.path) > now - BUSY_SECONDS}
    for volume in config.volumes.values():
        if not volume.path.is_dir():
            log.warning("volume %s (%s) is missing: its rows are kept", volume.name, volume.path)
            continue
        for path in iter_segments(volume.path):
            if str(path) not in busy:
                index_file(index, volume.name, path, report, known)
    present = {v.name for v in config.volumes.values() if v.path.is_dir()}
    for segment in index.segments():
        if segment.volume in present and not os.path.exists(segment.path):
            index.delete_segment(segment.id)
            report.removed += 1
    return report


def _mtime(path: str) -> float:
    try:
        return os.path.getmtime(path)
    except OSError:
        return 0.0


def recover(index: Index, config: RecorderConfig, recent_days: int = 2) -> ReindexReport:
    """After an unclean stop: finish rows left incomplete and index files that have no row.

    Only the last `recent_days` day directories are scanned for orphans: a killed
    daemon can only have left its most recent files unindexed.
    """
    report = ReindexReport()
    known = index.paths()
    for segment in index.incomplete():
        path = Path(segment.path)
        result = probe_segment(path) if path.exists() else None
        if result is None:
            if path.exists() and path.stat().st_size == 0:
                path.unlink()
            if not path.exists() or path.stat().st_size == 0:
                index.delete_segment(segment.id)
                report.removed += 1
            else:
                report.unreadable.append(segment.path)
            continue
        index.update_progress(
            segment.id,
            segment.start + result.duration,
            result.size,
            result.keyframes,
            complete=True,
        )
        report.updated += 1
    today = dt.datetime.now(dt.UTC).date()
    days = {(today - dt.timedelta(days=n)).isoformat() for n in range(recent_days)}
    for volume in config.volumes.values():
        if not volume.path.is_dir():
            continue
        for camera_dir in volume.path.iterdir():
            for day in days:
                day_dir = camera_dir / day
                if not day_dir.is_dir():
                    continue
                for path in sorted(day_dir.glob("*.mkv")):
                    if str(path) not in known:
                        index_file(index, volume.name, path, report, known)
    return report
