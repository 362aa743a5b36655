"""Mounting data volumes: systemd mount units by UUID under /srv/ctdata/N, with nofail.

On the appliance the unit does the mounting (`systemctl start srv-ctdata-N.mount`).
Where systemd is not running (the build host, a rescue shell) the same mount
is done by running mount(8) with the unit's What/Where/Type/Options, which is
what systemd itself runs for a mount unit.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from ctsys.config.sections.storage import DataVolume
from ctsys.errors import CtsysError
from ctsys.run import run

SYSTEMD_RUNNING = "/run/systemd/system"
UNIT_DIR = "/etc/systemd/system"


def systemd_running() -> bool:
    return os.path.isdir(SYSTEMD_RUNNING)


def what(volume: DataVolume) -> str:
    """The unit's What=: the filesystem by UUID, so disks can change ports or names."""
    return f"/dev/disk/by-uuid/{volume.uuid}"


def mount_argv(volume: DataVolume, mountpoint: str | None = None) -> list[str]:
    """mount(8) for the volume, as the unit runs it (UUID= instead of the udev symlink,
    which exists only where udev runs)."""
    options = ",".join(volume.mount_options)
    return ["mount", "-t", volume.filesystem, "-o", options, f"UUID={volume.uuid}", mountpoint or volume.mountpoint]


def is_mounted(path: str) -> bool:
    return os.path.ismount(path)


def mount_volume(volume: DataVolume, root: str = "/") -> None:
    """Mount one data volume now (idempotent)."""
    mountpoint = str(Path(root) / volume.mountpoint.lstrip("/"))
    if is_mounted(mountpoint):
        return
    os.makedirs(mountpoint, exist_ok=True)
    if root == "/" and systemd_running():
        run(["systemctl", "start", volume.unit], timeout=120)
    else:
        run(mount_argv(volume, mountpoint), timeout=120)


@dataclass(frozen=True)
class Writer:
    pid: int
    name: str
    path: str


def writers(mountpoint: str) -> list[Writer]:
    """Processes holding a file open for writing under `mountpoint`."""
    prefix = mountpoint.rstrip("/") + "/"
    found = []
    for proc in psutil.process_iter(["pid", "name"]):
        try:
            for f in proc.open_files():
                if f.path.startswith(prefix) and getattr(f, "mode", "w") in ("w", "a", "r+", "a+"):
                    found.append(Writer(proc.pid, proc.info["name"] or "?", f.path))
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def wait_for_writers(mountpoint: str, timeout: float = 30.0) -> list[Writer]:
    """Wait until nothing writes under `mountpoint` (the recorder closing its segments)."""
    deadline = time.monotonic() + timeout
    busy = writers(mountpoint)
    while busy and time.monotonic() < deadline:
        time.sleep(0.5)
        busy = writers(mountpoint)
    return busy


def unmount_volume(volume: DataVolume, root: str = "/", wait: float = 0.0) -> None:
    """Unmount one data volume; refused while a process (the recorder) writes there.

    `wait`: seconds to let writers finish first (after the cameras were moved off).
    """
    mountpoint = str(Path(root) / volume.mountpoint.lstrip("/"))
    if not is_mounted(mountpoint):
        return
    busy = wait_for_writers(mountpoint, wait) if wait else writers(mountpoint)
    if busy:
        who = ", ".join(sorted({f"{w.name} (pid {w.pid})" for w in busy}))
        raise CtsysError(
            f"{volume.mountpoint} is being written to by {who}: {busy[0].path}",
            hint="move the cameras off it first: ctsys disk unmount --move-cameras",
        )
    if root == "/" and systemd_running():
        run(["systemctl", "stop", volume.unit], timeout=120)
    else:
        run(["umount", mountpoint], timeout=120)


@contextlib.contextmanager
def temporary_mount(device: str, fstype: str | None = None, read_only: bool = False) -> Iterator[str]:
    """Mount `device` on a private temporary directory for the duration of the block."""
    directory = tempfile.mkdtemp(prefix="ctsys-mnt-")
    argv = ["mount"]
    if fstype:
        argv += ["-t", fstype]
    if read_only:
        # Look without writing: no journal replay (ext4 noload, xfs norecovery).
        extra = {"ext4": ",noload", "ext3": ",noload", "xfs": ",norecovery"}.get(fstype or "", "")
        argv += ["-o", "ro" + extra]
    try:
        run([*argv, device, directory], timeout=120)
        try:
            yield directory
        finally:
            run(["umount", directory], timeout=120)
    finally:
        with contextlib.suppress(OSError):
            os.rmdir(directory)
