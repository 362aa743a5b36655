"""Where segments live and what they are called.

    <volume>/<camera>/<YYYY-MM-DD>/<camera>_<YYYYMMDDTHHMMSS.mmmZ>_<stream>_<kind>.mkv

The name alone carries camera, UTC start, stream and recording kind, so the
index can be rebuilt from the data disk after a reinstall of the system disk.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

SUFFIX = ".mkv"
_NAME_RE = re.compile(
    r"^(?P<camera>[A-Za-z0-9][A-Za-z0-9_-]*)_(?P<stamp>\d{8}T\d{6}\.\d{3}Z)_"
    r"(?P<stream>[A-Za-z0-9][A-Za-z0-9-]*)_(?P<kind>continuous|alarm)\.mkv$"
)


@dataclass(frozen=True)
class SegmentName:
    camera: str
    start: float  # UTC epoch seconds
    stream: str
    kind: str


def utc_stamp(epoch: float) -> str:
    moment = dt.datetime.fromtimestamp(epoch, dt.UTC)
    return moment.strftime("%Y%m%dT%H%M%S.") + f"{moment.microsecond // 1000:03d}Z"


def segment_path(volume: Path, camera: str, stream: str, kind: str, start: float) -> Path:
    day = dt.datetime.fromtimestamp(start, dt.UTC).strftime("%Y-%m-%d")
    return volume / camera / day / f"{camera}_{utc_stamp(start)}_{stream}_{kind}{SUFFIX}"


def parse_name(path: Path) -> SegmentName | None:
    """The fields encoded in a segment's file name, or None if it is not one of ours.

    Camera names may contain '_' (the regex anchors on the stamp); stream names may not.
    """
    match = _NAME_RE.match(path.name)
    if match is None:
        return None
    moment = dt.datetime.strptime(match["stamp"], "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=dt.UTC)
    return SegmentName(match["camera"], moment.timestamp(), match["stream"], match["kind"])


def iter_segments(volume: Path) -> list[Path]:
    """Every segment file under a volume, sorted by path (camera, day, time)."""
    return sorted(p for p in volume.glob(f"*/*/*{SUFFIX}") if parse_name(p) is not None)
