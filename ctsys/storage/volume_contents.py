"""What a data volume holds for the recorder, read while adoption scans it (before it is mounted).

A copy of the cameras section, a replicated recordings index, segments: a dry
run can show them all, and the planning (ctsys/storage/cameras_plan.py) works from them.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from ctsys.storage.cameras_copy import CAMERAS_COPY
from ctsys.storage.marker import INDEX_DIR, RECORDINGS_DIR
from recorder.layout import parse_name


@dataclass
class VolumeContents:
    """What adoption needs to know of a data volume, read while scanning (before it is mounted)."""

    cameras_copy: str | None = field(default=None, repr=False)  # the copy's text: it holds credentials
    copy_error: str | None = None  # the copy exists but could not be read
    index_mtime: float | None = None  # when the replicated recordings index there was written
    segments_in: str | None = None  # "recordings", "" (the volume's top) or None: no segment


def _dirs(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as entries:
            return sorted((e for e in entries if e.is_dir(follow_symlinks=False)), key=lambda e: e.name)
    except OSError:
        return []


def _holds_segment(directory: Path, skip: tuple[str, ...] = ()) -> bool:
    """True at the first file named like a segment in <dir>/<camera>/<day>/ (never walks it all)."""
    for camera in _dirs(str(directory)):
        if camera.name in skip or camera.name.startswith("."):
            continue
        for day in _dirs(camera.path):
            try:
                with os.scandir(day.path) as files:
                    if any(f.is_file() and parse_name(Path(f.name)) is not None for f in files):
                        return True
            except OSError:
                continue
    return False


def look_inside(directory: str | Path, index_name: str) -> VolumeContents:
    root = Path(directory)
    contents = VolumeContents()
    copy = root / INDEX_DIR / CAMERAS_COPY
    try:
        contents.cameras_copy = copy.read_text()
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError) as exc:
        contents.copy_error = f"unreadable: {exc}"
    with contextlib.suppress(OSError):
        contents.index_mtime = (root / INDEX_DIR / index_name).stat().st_mtime
    if _holds_segment(root / RECORDINGS_DIR):
        contents.segments_in = RECORDINGS_DIR
    elif _holds_segment(root, skip=(RECORDINGS_DIR, "lost+found")):
        contents.segments_in = ""  # an older system recorded at the volume's top
    return contents
