"""Copy the recordings index to every mounted data volume (.ctdata/index/).

SQLite's online backup API gives a consistent copy while the recorder writes;
the copy is written beside the old one and renamed over it, so a power cut
leaves the previous copy intact.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from ctsys.errors import CtsysError
from ctsys.fsutil import fsync_dir
from ctsys.storage.marker import INDEX_DIR


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
