"""Which disk to install to, and which disks are kept (never written)."""

from __future__ import annotations

from dataclasses import dataclass

from ctsys.errors import CtsysError
from ctsys.storage.inventory import Disk

MIN_SYSTEM_BYTES = 8 * 1024**3
LIVE_MEDIUM_MOUNTS = ("/run/live/medium",)

# Role (from the storage inventory) -> why such a disk is never an install target.
KEPT_ROLES = {
    "data": "holds a ctdata volume (recordings)",
    "raid-member": "is a RAID member",
    "removable": "is a removable medium",
    "system": "holds the running system or the live medium",
}


@dataclass(frozen=True)
class Kept:
    disk: Disk
    reason: str


def size_text(size: int) -> str:
    return f"{size / 1000**3:.1f} GB"


def describe(disk: Disk) -> str:
    model = disk.model or "unknown model"
    return f"{disk.path}  {model}  {size_text(disk.size)}  serial {disk.serial or '?'}"


def refusal(disk: Disk) -> str | None:
    """Why `disk` must not be the install target, or None if it may be."""
    if any(m in LIVE_MEDIUM_MOUNTS for m in disk.all_mountpoints):
        return "holds the live medium this system runs from"
    if disk.role in KEPT_ROLES:
        return KEPT_ROLES[disk.role]
    if disk.read_only:
        return "is read-only"
    if disk.size < MIN_SYSTEM_BYTES:
        return f"is too small ({size_text(disk.size)}; the system needs at least {size_text(MIN_SYSTEM_BYTES)})"
    if disk.all_mountpoints:
        return f"has mounted filesystems ({', '.join(disk.all_mountpoints)})"
    return None


def kept(disks: list[Disk]) -> list[Kept]:
    return [Kept(d, reason) for d in disks if (reason := refusal(d)) is not None]


def candidates(disks: list[Disk]) -> list[Disk]:
    return [d for d in disks if refusal(d) is None]


def choose(disks: list[Disk], wanted: str) -> Disk:
    """The target for `wanted` (auto, /dev/NAME, NAME or a serial number), or a clear refusal."""
    if wanted == "auto":
        found = candidates(disks)
        if len(found) == 1:
            return found[0]
        if not found:
            lines = "\n  ".join(f"{k.disk.path}: {k.reason}" for k in kept(disks)) or "no disk at all"
            raise CtsysError(f"no disk can take the system:\n  {lines}")
        names = ", ".join(f"{d.path} (serial {d.serial or '?'})" for d in found)
        raise CtsysError(
            f"several disks could take the system: {names}",
            hint="name one: ctsys install --disk SERIAL (or ctserver.disk=SERIAL on the kernel command line)",
        )
    plain = wanted.removeprefix("/dev/")
    for disk in disks:
        if plain in (disk.name, disk.serial) or wanted == disk.path:
            reason = refusal(disk)
            if reason is not None:
                raise CtsysError(f"{disk.path} cannot take the system: it {reason}; nothing was written")
            return disk
    known = ", ".join(describe(d) for d in disks) or "none"
    raise CtsysError(f"no disk {wanted!r} (disks: {known})")
