"""Data volumes as the recorder sees them: mounted or not, and how full.

`mounted_volumes()` is cheap (statvfs only) and is what the recorder's purge and
the SNMP agent read. `fill_dashboard()` also walks the recordings to split the
used space per camera (system/other, recordings, protected, free).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ctsys.config.sections.storage import DataVolume
from ctsys.storage.marker import RECORDINGS_DIR, read_marker


@dataclass
class VolumeUsage:
    id: int
    label: str
    mountpoint: str
    uuid: str
    mounted: bool
    total: int = 0
    used: int = 0
    free: int = 0  # available to the recorder (ext4 reserved blocks excluded)

    @property
    def percent(self) -> float:
        return round(100.0 * self.used / self.total, 1) if self.total else 0.0


@dataclass
class VolumeFill(VolumeUsage):
    recordings: int = 0
    protected: int | None = None  # None: the recordings index could not be read
    other: int = 0  # used by anything but recordings (filesystem metadata, index copies)
    cameras: dict[str, int] = field(default_factory=dict)


def _statvfs(path: str) -> tuple[int, int, int]:
    st = os.statvfs(path)
    total = st.f_blocks * st.f_frsize
    free = st.f_bavail * st.f_frsize
    used = (st.f_blocks - st.f_bfree) * st.f_frsize
    return total, used, free


def usage(volume: DataVolume, root: str = "/") -> VolumeUsage:
    mountpoint = str(Path(root) / volume.mountpoint.lstrip("/"))
    result = VolumeUsage(volume.id, volume.label, volume.mountpoint, volume.uuid, os.path.ismount(mountpoint))
    if result.mounted:
        result.total, result.used, result.free = _statvfs(mountpoint)
    return result


def mounted_volumes(volumes: Iterable[DataVolume] | None = None, root: str = "/") -> list[VolumeUsage]:
    """Usage of every configured data volume that is mounted now (the recorder's view)."""
    if volumes is None:
        from ctsys.config.store import ConfigStore

        volumes = ConfigStore(root).load().storage.volumes
    return [u for u in (usage(v, root) for v in volumes) if u.mounted]


def system_usage(root: str = "/") -> VolumeUsage:
    path = Path(root)
    while not path.exists():  # a --root tree not made yet: the filesystem it will be on
        path = path.parent
    total, used, free = _statvfs(str(path))
    return VolumeUsage(0, "system", "/", "", True, total, used, free)


def _tree_bytes(path: Path) -> int:
    total = 0
    for directory, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(directory, name)).st_blocks * 512
            except OSError:
                continue  # deleted by the purge meanwhile
    return total


def recordings_dir(mountpoint: str | Path) -> Path:
    return Path(mountpoint) / RECORDINGS_DIR


def protected_bytes(index: str | Path, mountpoint: str) -> int | None:
    """Bytes of the segments on `mountpoint` covered by a protected range, from the recorder's index."""
    path = Path(index)
    if not path.exists():
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            row = db.execute(
                "SELECT COALESCE(SUM(s.bytes), 0) FROM segments s WHERE s.path LIKE ? AND EXISTS "
                '(SELECT 1 FROM protected p WHERE p.camera = s.camera AND s.start < p."end" AND s."end" > p.start)',
                (mountpoint.rstrip("/") + "/%",),
            ).fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    return int(row[0])


def fill(volume: DataVolume, root: str = "/", index: str | None = None) -> VolumeFill:
    """One volume's dashboard line: recordings per camera, protected, other, free."""
    base = usage(volume, root)
    result = VolumeFill(**vars(base))
    if not base.mounted:
        return result
    mountpoint = str(Path(root) / volume.mountpoint.lstrip("/"))
    recordings = recordings_dir(mountpoint)
    if recordings.is_dir():
        for entry in sorted(recordings.iterdir()):
            if entry.is_dir():
                result.cameras[entry.name] = _tree_bytes(entry)
        result.recordings = _tree_bytes(recordings)
    result.other = max(0, result.used - result.recordings)
    if index:
        result.protected = protected_bytes(Path(root) / index.lstrip("/"), volume.mountpoint)
    return result


@dataclass
class FillAlert:
    volume: str
    percent: float
    threshold: int
    raised: bool  # True: over the threshold now; False: back under it


def check_thresholds(usages: Iterable[VolumeUsage], threshold: int, root: str = "/") -> list[FillAlert]:
    """Raise a disk-fill alert for each volume over the threshold, and clear it once back under.

    The state (which volumes are over) is kept in var/lib/ctsys/fill-alerts so a
    full volume raises one alert, not one every five minutes.
    """
    from ctsys.alerts import raise_alert

    state_file = Path(root) / "var/lib/ctsys/fill-alerts"
    try:
        over_before = set(state_file.read_text().split())
    except OSError:
        over_before = set()
    over_now: set[str] = set()
    events = []
    for u in usages:
        if not u.mounted:
            continue
        if u.percent >= threshold:
            over_now.add(u.label)
            if u.label not in over_before:
                events.append(FillAlert(u.label, u.percent, threshold, True))
                raise_alert(
                    root,
                    "disk-fill",
                    u.mountpoint,
                    f"{u.label} is {u.percent:g} % full (alert threshold {threshold} %)",
                    "warning",
                )
        elif u.label in over_before:
            events.append(FillAlert(u.label, u.percent, threshold, False))
            raise_alert(
                root,
                "disk-fill",
                u.mountpoint,
                f"{u.label} is back to {u.percent:g} % (threshold {threshold} %)",
                "info",
                state="cleared",
            )
    state_file.parent.mkdir(parents=True, exist_ok=True)
    state_file.write_text("".join(f"{label}\n" for label in sorted(over_now)))
    return events


def identify(mountpoint: str) -> int | None:
    """The volume number from the marker at `mountpoint`, if any."""
    marker = read_marker(mountpoint)
    return marker.volume_id if marker else None
