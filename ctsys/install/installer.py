"""The install, step by step, each timed: partition, format, copy, configure, bootloader, verify."""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ctsys.errors import CtsysError
from ctsys.install import disk as diskops
from ctsys.install import system
from ctsys.install.answer import Answers
from ctsys.storage.inventory import Disk

LIVE_ROOTFS = Path("/run/live/rootfs/filesystem.squashfs")
LIVE_SQUASHFS = Path("/run/live/medium/live/filesystem.squashfs")
MEDIUM = Path("/run/live/medium")


@dataclass
class InstallResult:
    disk: str
    serial: str | None
    source: str
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)
    copied_bytes: int = 0
    configured: list[str] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)


def default_source() -> Path:
    """The running live system's root: the squashfs file on the medium (in RAM with toram),
    else its mounted tree. unsquashfs unpacks on every CPU; a file copy out of the mounted
    squashfs decompresses in the kernel on one."""
    if LIVE_SQUASHFS.is_file():
        return LIVE_SQUASHFS
    if LIVE_ROOTFS.is_dir() and any(LIVE_ROOTFS.iterdir()):
        return LIVE_ROOTFS
    raise CtsysError(
        "not running from the CT-Server live medium: there is no system to copy",
        hint="boot the ISO's Install entry, or give --source (a root directory or a squashfs image)",
    )


class Steps:
    def __init__(self, progress: Callable[[str], None]) -> None:
        self.progress = progress
        self.times: dict[str, float] = {}

    @contextlib.contextmanager
    def step(self, name: str, what: str) -> Iterator[None]:
        self.progress(f"{name}: {what}")
        start = time.monotonic()
        yield
        self.times[name] = round(time.monotonic() - start, 1)
        self.progress(f"{name}: done in {self.times[name]:.1f} s")


def install(
    target_disk: Disk,
    source: Path,
    answers: Answers,
    progress: Callable[[str], None],
    bootloader: bool = True,
    medium: Path | None = MEDIUM,
) -> InstallResult:
    started = time.monotonic()
    result = InstallResult(target_disk.path, target_disk.serial, str(source))
    steps = Steps(progress)
    with steps.step("partition", f"GPT on {target_disk.path}: bios, efi, root"):
        diskops.partition(target_disk.path)
    with steps.step("format", "FAT32 for the ESP, ext4 for the root"):
        layout = diskops.format_partitions(target_disk.path)
    with tempfile.TemporaryDirectory(prefix="ct-install-") as scratch, diskops.mounted(layout, Path(scratch)) as root:
        with steps.step("copy", f"the system from {source}"):
            result.copied_bytes = system.copy_system(source, root, progress)
        with steps.step("configure", "fstab, machine-id, SSH host keys, the appliance document"):
            system.write_fstab(root, layout)
            system.fresh_identity(root)
            result.configured = system.configure_document(root, answers)
        if bootloader:
            with steps.step("bootloader", "GRUB for BIOS and UEFI"):
                system.kernel_files(root, medium if medium is not None and medium.exists() else None)
                for part, seconds in system.install_bootloaders(root, layout, progress).items():
                    steps.times[f"bootloader-{part}"] = seconds
        with steps.step("verify", "what was written"):
            on_esp = system.efi_files(layout, root) if bootloader else None
            missing = system.verify_tree(root, bootloader, on_esp)
            if missing:
                raise CtsysError("the installed system is incomplete: missing " + ", ".join(missing))
            system.record_install(root, target_disk.serial, str(source), time.monotonic() - started)
    with steps.step("check", "filesystems (fsck -n)"):
        diskops.wait_for([layout.root])
        system.check_filesystems(layout)
    result.steps = steps.times
    result.seconds = round(time.monotonic() - started, 1)
    return result
