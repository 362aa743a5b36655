"""Format a disk as a data volume: GPT, one partition, ext4 or xfs, label ctdata-N, marker.

Every reason to refuse is collected before anything is written; the caller may
override them only with --force and the disk's serial number typed back (the
system disk and disks under an active array are never overridable).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ctsys.errors import CtsysError
from ctsys.run import run
from ctsys.storage import human_size
from ctsys.storage.inventory import Disk, probe, settle_udev
from ctsys.storage.marker import has_marker, holds_recordings, new_marker, write_marker
from ctsys.storage.mounts import temporary_mount

MIN_DATA_DISK = 1 << 30  # 1 GiB: below this a disk holds minutes of video, not a volume
FILESYSTEMS = ("ext4", "xfs")
GPT_LINUX_DATA = "8300"
# Filesystems a probe mount can look into for a marker or recordings.
_PROBED = ("ext4", "ext3", "ext2", "xfs", "btrfs", "vfat", "exfat", "ntfs")

Progress = Callable[[int, int, str], None]


@dataclass
class Refusal:
    reason: str
    overridable: bool = True


@dataclass
class FormatResult:
    disk: str
    partition: str
    filesystem: str
    uuid: str
    label: str
    volume_id: int
    seconds: float


def confirmation_token(disk: Disk) -> str:
    """What --serial must repeat: the serial number (the disk's name when it has none, e.g. loop)."""
    return disk.serial or disk.name


def _content_refusals(disk: Disk) -> list[Refusal]:
    """Look inside unmounted filesystems (read-only) for a ctdata marker or recordings."""
    found = []
    devices = [(disk.path, disk.fstype)] + [(p.path, p.fstype) for p in disk.partitions]
    for path, fstype in devices:
        if fstype not in _PROBED:
            continue
        try:
            with temporary_mount(path, fstype, read_only=True) as directory:
                if has_marker(directory):
                    found.append(Refusal(f"{path} carries a ctdata marker (it is a data volume)"))
                if holds_recordings(directory):
                    found.append(Refusal(f"{path} holds recordings"))
        except CtsysError:
            continue  # unmountable: nothing we can read there, so nothing to protect
    return found


def refusals(disk: Disk, min_size: int = MIN_DATA_DISK, look_inside: bool = True) -> list[Refusal]:
    """Every reason not to format `disk`, the non-overridable ones first."""
    found: list[Refusal] = []
    if disk.role == "system":
        found.append(Refusal(f"{disk.path} holds the running system", overridable=False))
    if disk.raid_arrays:
        arrays = ", ".join(disk.raid_arrays)
        found.append(Refusal(f"{disk.path} is a member of the active RAID array(s) {arrays}", overridable=False))
    if disk.read_only:
        found.append(Refusal(f"{disk.path} is read-only", overridable=False))
    if disk.size < min_size:
        found.append(
            Refusal(
                f"{disk.path} is too small: {human_size(disk.size)}, a data volume needs "
                f"at least {human_size(min_size)}",
                overridable=False,
            )
        )
    mounts = disk.all_mountpoints
    if mounts and disk.role != "system":
        found.append(Refusal(f"{disk.path} has a mounted filesystem ({', '.join(mounts)})"))
    if disk.is_raid_member and not disk.raid_arrays:
        found.append(Refusal(f"{disk.path} carries a RAID superblock (a member of a stopped array)"))
    for label in disk.data_labels:
        found.append(Refusal(f"{disk.path} holds the data volume {label}"))
    if look_inside and not mounts and not disk.raid_arrays:
        found.extend(_content_refusals(disk))
    else:
        for mountpoint in mounts:
            if has_marker(mountpoint):
                found.append(Refusal(f"{mountpoint} carries a ctdata marker"))
            if holds_recordings(mountpoint):
                found.append(Refusal(f"{mountpoint} holds recordings"))
    return sorted(found, key=lambda r: r.overridable)


def check_allowed(disk: Disk, force: bool, serial: str | None, action: str, found: list[Refusal]) -> None:
    """Raise unless `found` is empty, or every refusal is overridable and the serial matches."""
    if not found:
        return
    reasons = "\n  ".join(r.reason for r in found)
    if any(not r.overridable for r in found):
        raise CtsysError(f"refusing to {action} {disk.path}:\n  {reasons}", hint="nothing was changed")
    if not force:
        raise CtsysError(
            f"refusing to {action} {disk.path}:\n  {reasons}",
            hint=f"if you are sure, repeat with --force --serial <serial number of {disk.path}> "
            "(see `ctsys disk list`); everything on it will be lost",
        )
    if serial != confirmation_token(disk):
        raise CtsysError(
            f"--serial {serial!r} is not the serial number of {disk.path}",
            hint="type back the serial shown by `ctsys disk list`; nothing was changed",
        )


def partition_name(disk: Disk, number: int = 1, timeout: float = 15.0) -> str:
    """Wait for the kernel (and udev) to show partition `number` of `disk`; return its /dev path."""
    deadline = time.monotonic() + timeout
    sys_dir = Path("/sys/class/block") / disk.name
    while True:
        for entry in sorted(sys_dir.glob(f"{disk.name}*")):
            try:
                if int((entry / "partition").read_text()) == number and os.path.exists(f"/dev/{entry.name}"):
                    return f"/dev/{entry.name}"
            except (OSError, ValueError):
                continue
        if time.monotonic() > deadline:
            raise CtsysError(f"partition {number} of {disk.path} did not appear within {timeout:g} s")
        run(["partprobe", disk.path], check=False)
        time.sleep(0.2)


def _settle() -> None:
    if os.path.isdir("/run/udev"):
        settle_udev()


def mkfs_argv(filesystem: str, label: str, device: str) -> list[str]:
    if filesystem == "ext4":
        # Recordings are large files: fewer inodes; no root-reserved blocks on a data disk.
        return ["mkfs.ext4", "-F", "-q", "-L", label, "-m", "0", "-T", "largefile", device]
    if filesystem == "xfs":
        return ["mkfs.xfs", "-f", "-q", "-L", label, device]
    raise CtsysError(f"unknown filesystem {filesystem!r} (one of {', '.join(FILESYSTEMS)})")


def format_disk(disk: Disk, volume_id: int, filesystem: str = "ext4", progress: Progress | None = None) -> FormatResult:
    """Destroy everything on `disk` and make it the data volume ctdata-N. Call check_allowed first."""
    say = progress or (lambda _i, _n, _t: None)
    started = time.monotonic()
    label = f"ctdata-{volume_id}"
    steps = 6
    for mountpoint in disk.all_mountpoints:  # only reached with --force
        say(0, steps, f"unmounting {mountpoint}")
        run(["umount", mountpoint], timeout=120)
    say(1, steps, f"wiping signatures on {disk.path}")
    for old in disk.partitions:
        run(["wipefs", "-a", old.path], check=False)
    run(["wipefs", "-a", disk.path])
    say(2, steps, f"partitioning {disk.path} (GPT, one partition)")
    run(["sgdisk", "--zap-all", disk.path], check=False)  # exits 2 on an already blank disk
    run(["sgdisk", "-n", "1:0:0", "-t", f"1:{GPT_LINUX_DATA}", "-c", f"1:{label}", disk.path])
    run(["partprobe", disk.path], check=False)
    _settle()
    part = partition_name(disk)
    say(3, steps, f"creating {filesystem} on {part} (label {label})")
    uuid = make_volume(part, volume_id, filesystem, disk.serial)
    say(4, steps, f"wrote the ctdata marker on {label}")
    say(5, steps, f"{label} ready ({human_size(disk.size)})")
    return FormatResult(disk.path, part, filesystem, uuid, label, volume_id, round(time.monotonic() - started, 2))


def make_volume(device: str, volume_id: int, filesystem: str, serial: str | None) -> str:
    """mkfs with the ctdata-N label, then the marker; returns the filesystem UUID."""
    run(mkfs_argv(filesystem, f"ctdata-{volume_id}", device), timeout=1800)
    uuid = probe(device).get("UUID")
    if not uuid:
        raise CtsysError(f"{device}: no filesystem UUID after mkfs.{filesystem}")
    with temporary_mount(device, filesystem) as directory:
        write_marker(directory, new_marker(volume_id, uuid, filesystem, serial))
    return uuid
