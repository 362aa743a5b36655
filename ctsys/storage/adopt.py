"""Re-adoption: after a reinstall of the system disk, find the data volumes again.

Every filesystem on the disks (and md arrays) is looked at read-only; one that
carries a ctdata marker is added to the document under its own number (a new
one if that number is taken), then mounted by the storage apply module. When
the recordings index is missing, the newest replicated copy is put back so the
recorder starts from it and reindexes only what is newer. What the volume
holds for the recorder (a copy of the cameras section, segments) is read during
the scan too (ctsys/storage/volume_contents.py), so a dry run can show it all.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from ctsys.config.document import Appliance
from ctsys.config.sections.storage import DataVolume
from ctsys.errors import CtsysError
from ctsys.storage.inventory import Disk, list_disks, probe, settle_udev
from ctsys.storage.marker import INDEX_DIR, VolumeMarker, read_marker
from ctsys.storage.mounts import temporary_mount
from ctsys.storage.volume_contents import VolumeContents, look_inside

log = logging.getLogger("ctsys.storage.adopt")

STAMP = "var/lib/ctsys/storage-adopted"
FILESYSTEMS = ("ext4", "xfs")


@dataclass
class Found:
    device: str
    uuid: str
    filesystem: str
    marker: VolumeMarker
    mounted_at: str | None = None
    contents: VolumeContents = field(default_factory=VolumeContents)


@dataclass
class Adopted:
    volume_id: int
    uuid: str
    device: str
    status: str  # added, known, renumbered
    marker_id: int


def _md_devices() -> list[str]:
    from ctsys.storage.mdstat import read_mdstat

    try:
        return [f"/dev/{a.name}" for a in read_mdstat()]
    except OSError:
        return []


def candidates(disks: list[Disk], arrays: bool = True) -> list[tuple[str, list[str]]]:
    """(device, mount points) of every whole disk, partition and md array."""
    found: list[tuple[str, list[str]]] = []
    for disk in disks:
        if disk.role == "system":
            continue
        found.append((disk.path, disk.mountpoints))
        found.extend((p.path, p.mountpoints) for p in disk.partitions)
    if arrays:
        # lsblk's disk list has no md arrays: their mount points come from the kernel
        found.extend((md, mounted_at(md)) for md in _md_devices())
    return found


def mounted_at(device: str, mounts: str = "/proc/self/mounts") -> list[str]:
    """Where `device` is mounted (by its real path: /dev/md/data and /dev/md127 are one)."""
    real = os.path.realpath(device)
    try:
        lines = Path(mounts).read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 2 and fields[0].startswith("/dev/") and os.path.realpath(fields[0]) == real:
            found.append(fields[1].replace("\\040", " "))
    return found


def wait_for_arrays(timeout: float = 60.0) -> None:
    """Give arrays that udev assembled but did not start (a member missing) time to start.

    mdadm-last-resort@ starts a degraded array 30 s after its last member appeared;
    at first boot that can be after this unit, and a volume on it would be missed.
    """
    from ctsys.storage.mdstat import read_mdstat

    deadline = time.monotonic() + timeout
    while any(not a.active for a in read_mdstat()) and time.monotonic() < deadline:
        time.sleep(2)


def start_degraded(mdstat: str | None = None) -> list[str]:
    """Run, degraded, the arrays still inactive after the wait; returns their names.

    mdadm-last-resort@ does this only for arrays mdadm calls local: one created under
    another host name (a reinstalled or live system, a disk moved from another server)
    stays inactive, and the recordings on it with it. A RAID is there to keep them.
    """
    from ctsys.run import run
    from ctsys.storage.mdstat import read_mdstat

    arrays = read_mdstat(mdstat) if mdstat else read_mdstat()
    started = []
    for array in arrays:
        if array.active or not array.members:
            continue
        result = run(["mdadm", "--run", f"/dev/{array.name}"], check=False, timeout=120)
        if result.returncode == 0:
            log.warning("%s: started degraded (members missing)", array.name)
            started.append(array.name)
        else:
            log.warning("%s: cannot start it degraded: %s", array.name, result.stderr.strip())
    if started:
        settle_udev()
    return started


def _look(directory: str, index_name: str) -> tuple[VolumeMarker | None, VolumeContents]:
    marker = read_marker(directory)
    return marker, (look_inside(directory, index_name) if marker else VolumeContents())


def scan(include_loop: bool = False, only: tuple[str, ...] = (), index_name: str = "index.sqlite") -> list[Found]:
    """Every filesystem that carries a ctdata marker (on the disks named in `only`, if given).

    `index_name`: the file name of the replicated recordings index to look for.
    """
    found = []
    disks = list_disks(include_loop=include_loop, probe=True)
    if only:
        wanted = {name.removeprefix("/dev/") for name in only}
        disks = [d for d in disks if d.name in wanted]
    for device, mounts in candidates(disks, arrays=not only):
        info = probe(device)
        fstype, uuid = info.get("TYPE"), info.get("UUID")
        if fstype not in FILESYSTEMS or not uuid:
            continue
        marker, contents = None, VolumeContents()
        if mounts:
            marker, contents = _look(mounts[0], index_name)
        else:
            try:
                with temporary_mount(device, fstype, read_only=True) as directory:
                    marker, contents = _look(str(directory), index_name)
            except CtsysError as exc:
                log.warning("cannot look into %s: %s", device, exc)
        if marker is None:
            continue
        if marker.fs_uuid != uuid:
            log.warning(
                "%s: marker names filesystem %s, the filesystem is %s (a copied disk?)", device, marker.fs_uuid, uuid
            )
        found.append(Found(device, uuid, fstype, marker, mounts[0] if mounts else None, contents))
    return found


def merge(doc: Appliance, found: list[Found]) -> tuple[Appliance, list[Adopted]]:
    """The document with every found volume in it; each keeps its number when it is free."""
    volumes = list(doc.storage.volumes)
    adopted = []
    for f in sorted(found, key=lambda f: f.marker.volume_id):
        known = next((v for v in volumes if v.uuid == f.uuid), None)
        if known is not None:
            if not known.enabled:
                volumes[volumes.index(known)] = known.model_copy(update={"enabled": True})
            adopted.append(Adopted(known.id, f.uuid, f.device, "known", f.marker.volume_id))
            continue
        used = {v.id for v in volumes}
        volume_id = f.marker.volume_id
        status = "added"
        if volume_id in used:
            free = [n for n in range(1, 33) if n not in used]
            if not free:
                raise CtsysError("no free data volume number left (32 volumes are configured)")
            volume_id, status = free[0], "renumbered"
        volumes.append(DataVolume(id=volume_id, uuid=f.uuid, filesystem=f.filesystem))
        adopted.append(Adopted(volume_id, f.uuid, f.device, status, f.marker.volume_id))
    storage = doc.storage.model_copy(update={"volumes": volumes})
    from ctsys.config.document import validate

    data = doc.model_dump(mode="json")
    data["storage"] = storage.model_dump(mode="json")
    return validate(data), adopted


def newest_index_copy(mountpoints: list[str], name: str) -> Path | None:
    copies = [Path(m) / INDEX_DIR / name for m in mountpoints]
    existing = [c for c in copies if c.is_file()]
    return max(existing, key=lambda p: p.stat().st_mtime) if existing else None


def restore_index(database: Path, mountpoints: list[str]) -> Path | None:
    """Put back the newest replicated index when the system disk has none (after a reinstall)."""
    if database.exists():
        return None
    source = newest_index_copy(mountpoints, database.name)
    if source is None:
        return None
    database.parent.mkdir(parents=True, exist_ok=True)
    tmp = database.with_name(database.name + ".restore")
    shutil.copy2(source, tmp)
    tmp.replace(database)
    return source
