"""Copy the recordings index and the `cameras` section to every mounted data volume (.ctdata/index/).

SQLite's online backup API gives a consistent copy while the recorder writes;
the copy is written beside the old one and renamed over it, so a power cut
leaves the previous copy intact. The cameras section (ctsys/storage/cameras_copy.py
has its format) is written the same way, so a reinstalled system can record
and index again without anyone retyping its configuration.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ctsys.errors import CtsysError
from ctsys.fsutil import fsync_dir, write_atomic
from ctsys.storage.marker import INDEX_DIR

if TYPE_CHECKING:
    from ctsys.config.document import Appliance
    from ctsys.config.sections.storage import DataVolume
    from ctsys.config.store import Revision


@dataclass
class Copy:
    volume: str
    path: str
    bytes: int
    seconds: float


def _sqlite_copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def copy_to(database: Path, mountpoint: str) -> Copy:
    started = time.monotonic()
    directory = Path(mountpoint) / INDEX_DIR
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / database.name
    tmp = directory / f".{database.name}.tmp"
    tmp.unlink(missing_ok=True)
    try:
        _sqlite_copy(database, tmp)
    except sqlite3.DatabaseError:
        shutil.copy2(database, tmp)  # not SQLite: a plain copy is all we can do
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    tmp.replace(target)
    fsync_dir(directory)
    return Copy(mountpoint, str(target), target.stat().st_size, round(time.monotonic() - started, 3))


def replicate(database: Path, mountpoints: list[str]) -> tuple[list[Copy], list[str]]:
    """Copy to each mount point; returns the copies and the errors (one volume's failure is not fatal)."""
    if not database.is_file():
        raise CtsysError(f"no recordings index at {database} yet (the recorder creates it)")
    copies, errors = [], []
    for mountpoint in mountpoints:
        try:
            copies.append(copy_to(database, mountpoint))
        except (OSError, sqlite3.Error) as exc:
            errors.append(f"{mountpoint}: {exc}")
    return copies, errors


def replicate_cameras(
    doc: Appliance, revision: Revision | None, volumes: list[tuple[DataVolume, str]]
) -> tuple[list[Copy], list[str]]:
    """Write the cameras section to each (volume, where it is mounted); returns the copies and the errors.

    An empty section (a fresh install before adoption) is not copied: it would
    replace the only copy of the configuration the volumes hold.
    """
    from ctsys.storage.cameras_copy import CAMERAS_COPY, copy_text, has_recorder_config

    if not has_recorder_config(doc):
        return [], []
    written = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    copies, errors = [], []
    for volume, mountpoint in volumes:
        started = time.monotonic()
        target = Path(mountpoint) / INDEX_DIR / CAMERAS_COPY
        try:
            # 0600: camera credentials are in it.
            write_atomic(target, copy_text(doc, revision, volume, written), 0o600)
            copies.append(Copy(mountpoint, str(target), target.stat().st_size, round(time.monotonic() - started, 3)))
        except OSError as exc:
            errors.append(f"{mountpoint}: {exc}")
    return copies, errors
