"""The ctdata marker: a small file at the root of each data volume that names it.

It is what lets a freshly reinstalled system find its recordings again
(`ctsys storage adopt`): the volume's number, its filesystem UUID, when and on
which appliance it was made. The recorder's files live beside it:
  .ctdata/volume.json      this marker
  .ctdata/index/           copies of the recordings index (replication)
  recordings/              the recorder's segments
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ctsys.fsutil import write_atomic

MARKER_DIR = ".ctdata"
MARKER_FILE = f"{MARKER_DIR}/volume.json"
INDEX_DIR = f"{MARKER_DIR}/index"
RECORDINGS_DIR = "recordings"
FORMAT = 1


@dataclass(frozen=True)
class VolumeMarker:
    volume_id: int
    fs_uuid: str
    filesystem: str
    created: str
    appliance: str
    disk_serial: str | None = None
    format: int = FORMAT

    @property
    def label(self) -> str:
        return f"ctdata-{self.volume_id}"


def new_marker(volume_id: int, fs_uuid: str, filesystem: str, disk_serial: str | None) -> VolumeMarker:
    return VolumeMarker(
        volume_id=volume_id,
        fs_uuid=fs_uuid,
        filesystem=filesystem,
        created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        appliance=socket.gethostname(),
        disk_serial=disk_serial,
    )


def write_marker(mountpoint: str | Path, marker: VolumeMarker) -> None:
    root = Path(mountpoint)
    write_atomic(root / MARKER_FILE, json.dumps(asdict(marker), indent=2) + "\n", 0o644)
    (root / INDEX_DIR).mkdir(parents=True, exist_ok=True)
    (root / RECORDINGS_DIR).mkdir(exist_ok=True)


def read_marker(mountpoint: str | Path) -> VolumeMarker | None:
    """The volume's marker, or None when there is none (or it is unreadable)."""
    path = Path(mountpoint) / MARKER_FILE
    try:
        data = json.loads(path.read_text())
        return VolumeMarker(**{k: v for k, v in data.items() if k in VolumeMarker.__dataclass_fields__})
    except (OSError, ValueError, TypeError):
        return None


def has_marker(mountpoint: str | Path) -> bool:
    return (Path(mountpoint) / MARKER_FILE).exists()


def holds_recordings(mountpoint: str | Path) -> bool:
    """True when the filesystem has a non-empty recordings directory."""
    directory = Path(mountpoint) / RECORDINGS_DIR
    try:
        return any(directory.iterdir())
    except OSError:
        return False
