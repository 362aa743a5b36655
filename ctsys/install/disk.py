"""Partition, format and mount the system disk (the layout is in ctsys/install/__init__.py)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ctsys.errors import CtsysError
from ctsys.run import run

BIOS, EFI, ROOT = 1, 2, 3
EFI_MIB = 256


@dataclass(frozen=True)
class Layout:
    disk: str
    efi: str
    root: str
    efi_uuid: str
    root_uuid: str


def partition_path(disk: str, number: int) -> str:
    """/dev/sda -> /dev/sda3; /dev/nvme0n1, /dev/loop0, /dev/mmcblk0 -> ...p3."""
    return f"{disk}p{number}" if disk[-1].isdigit() else f"{disk}{number}"


def wait_for(paths: list[str], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not all(os.path.exists(p) for p in paths):
        if time.monotonic() > deadline:
            missing = ", ".join(p for p in paths if not os.path.exists(p))
            raise CtsysError(f"the kernel did not show the new partitions: {missing}")
        time.sleep(0.2)


def partition(disk: str) -> None:
    run(["wipefs", "--all", "--force", disk])
    run(["sgdisk", "--zap-all", disk])
    run(
        [
            "sgdisk",
            f"--new={BIOS}:2048:+1M", f"--typecode={BIOS}:EF02", f"--change-name={BIOS}:bios",
            f"--new={EFI}:0:+{EFI_MIB}M", f"--typecode={EFI}:EF00", f"--change-name={EFI}:efi",
            f"--new={ROOT}:0:0", f"--typecode={ROOT}:8304", f"--change-name={ROOT}:ct-root",
            disk,
        ]
    )
    # Ask the kernel to re-read the table; loop devices need partscan, which partx handles too.
    if run(["partprobe", disk], check=False, timeout=30).returncode != 0:
        run(["partx", "--update", disk], check=False)
    wait_for([partition_path(disk, n) for n in (BIOS, EFI, ROOT)])


def fs_uuid(device: str) -> str:
    uuid = run(["blkid", "-p", "-s", "UUID", "-o", "value", device]).stdout.strip()
    if not uuid:
        raise CtsysError(f"{device} has no filesystem UUID after formatting")
    return uuid


def format_partitions(disk: str) -> Layout:
    efi, root = partition_path(disk, EFI), partition_path(disk, ROOT)
    run(["mkfs.vfat", "-F", "32", "-n", "CT-EFI", efi])
    run(["mkfs.ext4", "-F", "-q", "-L", "ct-root", root], timeout=600)
    return Layout(disk, efi, root, fs_uuid(efi), fs_uuid(root))


@contextlib.contextmanager
def mounted(layout: Layout, target: Path) -> Iterator[Path]:
    """The root filesystem at `target`; always unmounted afterwards."""
    target.mkdir(parents=True, exist_ok=True)
    run(["mount", layout.root, str(target)])
    try:
        (target / "boot/efi").mkdir(parents=True, exist_ok=True)
        yield target
    finally:
        run(["sync"], check=False)
        run(["umount", str(target)], check=False)


@contextlib.contextmanager
def esp_mounted(layout: Layout, target: Path) -> Iterator[Path]:
    """The EFI system partition at target/boot/efi, for the bootloader step only."""
    esp = target / "boot/efi"
    run(["mount", "-t", "vfat", layout.efi, str(esp)])
    try:
        yield esp
    finally:
        run(["umount", str(esp)], check=False)


@contextlib.contextmanager
def chroot_mounts(target: Path) -> Iterator[None]:
    """/dev, /proc, /sys (and efivars if present) bound into the target, for grub and initramfs tools."""
    bound: list[Path] = []
    try:
        for fs in ("dev", "proc", "sys"):
            where = target / fs
            where.mkdir(exist_ok=True)
            run(["mount", "--rbind", f"/{fs}", str(where)])
            run(["mount", "--make-rslave", str(where)])
            bound.append(where)
        yield
    finally:
        for where in reversed(bound):
            run(["umount", "--recursive", "--lazy", str(where)], check=False)
