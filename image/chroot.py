"""Mount the API filesystems into a rootfs for the duration of a block, and
always unmount them again, even when the block fails."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from image.run import run

log = logging.getLogger("ctimage.chroot")

POLICY_RC_D = "usr/sbin/policy-rc.d"

# (source, target inside the rootfs, mount options)
_MOUNTS = (
    ("proc", "proc", ["-t", "proc"]),
    ("sysfs", "sys", ["-t", "sysfs"]),
    ("/dev", "dev", ["--bind"]),
    ("devpts", "dev/pts", ["-t", "devpts", "-o", "newinstance,ptmxmode=0666"]),
)


@contextmanager
def mounted(rootfs: Path) -> Iterator[Path]:
    done: list[Path] = []
    try:
        for source, target, options in _MOUNTS:
            path = rootfs / target
            path.mkdir(parents=True, exist_ok=True)
            run(["mount", *options, source, path])
            done.append(path)
        yield rootfs
    finally:
        for path in reversed(done):
            # a lazy unmount still frees the rootfs if a process lingers in it
            if run(["umount", path], check=False).returncode != 0:
                run(["umount", "--lazy", path], check=False)


def leftover_mounts(under: Path) -> list[str]:
    prefix = str(under.resolve())
    with open("/proc/self/mounts") as mounts:
        return [line.split()[1] for line in mounts if line.split()[1].startswith(prefix)]


def deny_service_starts(rootfs: Path) -> None:
    """policy-rc.d exit 101: maintainer scripts must not start services on the build host."""
    path = rootfs / POLICY_RC_D
    path.write_text("#!/bin/sh\n# written by ctimage during the build, removed by clean\nexit 101\n")
    path.chmod(0o755)


def allow_service_starts(rootfs: Path) -> None:
    (rootfs / POLICY_RC_D).unlink(missing_ok=True)
