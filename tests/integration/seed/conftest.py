"""Seed filesystems on loop devices for the seed tests: made per test, always unmounted and detached."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.tools import require


def mounts_of(device: str) -> list[str]:
    found = []
    for line in Path("/proc/self/mounts").read_text().splitlines():
        source, target = line.split()[:2]
        if source == device:
            found.append(target.replace("\\040", " "))
    return found


@pytest.fixture
def seed_disk(tmp_path: Path) -> Iterator[Callable[[str, str, dict[str, str]], str]]:
    """make(fstype, label, files) -> /dev/loopN holding `files` on a filesystem, written without mounting.

    ext4: mkfs.ext4 -d; iso9660: xorriso (the NoCloud way: -V cidata), attached read-only.
    """
    require("losetup", "mkfs.ext4", "xorriso", "blkid", "lsblk", "mount", "umount")
    created: list[tuple[str, Path]] = []

    def make(fstype: str, label: str, files: dict[str, str]) -> str:
        n = len(created)
        content = tmp_path / f"seed{n}-content"
        content.mkdir()
        for name, text in files.items():
            (content / name).write_text(text)
        if fstype == "ext4":
            image = tmp_path / f"seed{n}.img"
            with open(image, "wb") as f:
                f.truncate(16 << 20)
            subprocess.run(["mkfs.ext4", "-q", "-L", label, "-d", str(content), str(image)], check=True, timeout=60)
            attach = ["losetup", "--find", "--show", str(image)]
        elif fstype == "iso9660":
            image = tmp_path / f"seed{n}.iso"
            subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-V", label, "-J", "-R", "-o", str(image),
                            str(content)], check=True, capture_output=True, timeout=60)
            attach = ["losetup", "--find", "--show", "--read-only", str(image)]
        else:
            raise ValueError(f"no {fstype} seed here (this kernel has no vfat driver)")
        device = subprocess.run(attach, check=True, capture_output=True, text=True, timeout=30).stdout.strip()
        created.append((device, image))
        return device

    yield make
    for device, image in reversed(created):
        for target in mounts_of(device):
            subprocess.run(["umount", "-l", target], check=False, timeout=30)
        subprocess.run(["losetup", "-d", device], check=False, timeout=30)
        with contextlib.suppress(OSError):
            image.unlink()
