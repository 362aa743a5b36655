"""Loop devices for the storage tests: created per test, always detached afterwards."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.tools import require


def _mounts_of(device: str) -> list[str]:
    found = []
    for line in Path("/proc/self/mounts").read_text().splitlines():
        source, target = line.split()[:2]
        if source == device or source.startswith(device + "p"):
            found.append(target.replace("\\040", " "))
    return found


@pytest.fixture
def loop_device(tmp_path: Path) -> Iterator[Callable[[int], str]]:
    """make(size_mib) -> /dev/loopN backed by a sparse file; unmounted and detached at teardown."""
    require("losetup", "sgdisk", "partprobe", "wipefs", "mkfs.ext4", "mkfs.xfs", "blkid", "lsblk", "mount")
    created: list[tuple[str, Path]] = []

    def make(size_mib: int) -> str:
        image = tmp_path / f"disk{len(created)}.img"
        with open(image, "wb") as f:
            f.truncate(size_mib << 20)
        device = subprocess.run(
            ["losetup", "--find", "--show", "--partscan", str(image)], check=True, capture_output=True, text=True
        ).stdout.strip()
        created.append((device, image))
        return device

    yield make
    for device, image in reversed(created):
        for target in sorted(_mounts_of(device), key=len, reverse=True):
            subprocess.run(["umount", "-l", target], check=False)
        subprocess.run(["losetup", "-d", device], check=False)
        with contextlib.suppress(OSError):
            image.unlink()
