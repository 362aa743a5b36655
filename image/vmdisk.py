"""A bootable raw system disk made by the appliance's own installer.

VM images are not assembled by hand: the ISO's kernel boots in qemu with the
Install mode on its command line (`ctserver.mode=install`, the target disk by
serial number, `ctserver.finish=poweroff`), `ctsys install` partitions the
blank disk file, copies the system, installs GRUB for BIOS and UEFI and powers
off. The disk is then exactly what a USB install gives on real hardware.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ctrun import PIPE, Process
from image.errors import ImageError
from image.qemu import DirectBoot, VmFiles, VmSpec, choose_accel, qemu_argv
from image.run import run, spawn

# The installed system's minimum (ctsys/install/target.py MIN_SYSTEM_BYTES); the
# root filesystem can be grown later, recordings go to data disks anyway.
DISK_SIZE = "8G"
TARGET_SERIAL = "CTATT0000"  # the first attached disk (image/qemu.py)
LIVE_ARGS = "boot=live components toram net.ifnames=0"
DONE = re.compile(r"installed on (/dev/\S+) in (\d+) s")
# the installer's lines reach the console as "[ 213.5] install-entry[467]: ..." (journal+console)
FAILED = re.compile(r"install-entry\[\d+\]: error: .*$|Kernel panic.*$|Failed to start .*CT-Server installer.*$", re.M)


@dataclass(frozen=True)
class InstalledDisk:
    raw: Path
    seconds: float
    install_seconds: int
    log: Path


def extract_boot_files(iso: Path, into: Path) -> tuple[Path, Path]:
    """The live kernel and initrd from the ISO (xorriso, no loop mount)."""
    kernel, initrd = into / "vmlinuz", into / "initrd.img"
    for member, dest in (("/live/vmlinuz", kernel), ("/live/initrd.img", initrd)):
        run(["xorriso", "-osirrox", "on", "-indev", iso, "-extract", member, dest], timeout=300)
        dest.chmod(0o644)  # xorriso keeps the ISO's read-only modes
    return kernel, initrd


def install_command_line(extra: str = "") -> str:
    return (f"{LIVE_ARGS} ctserver.mode=install ctserver.disk={TARGET_SERIAL} ctserver.finish=poweroff "
            f"console=tty0 console=ttyS0,115200n8 {extra}").strip()


def install_to_disk(iso: Path, raw: Path, log: Path, progress: Callable[[str], None] = lambda _m: None,
                    timeout: float = 3600, extra_args: str = "", keep: tuple[Path, ...] = ()) -> InstalledDisk:
    """Run the ISO's installer unattended onto a new raw disk file `raw`. `keep`: more
    disks attached after it (data disks the installer must leave alone: the system test)."""
    started = time.monotonic()
    tmp_raw = raw.with_name(raw.name + ".part")
    tmp_raw.unlink(missing_ok=True)
    run(["qemu-img", "create", "-q", "-f", "raw", tmp_raw, DISK_SIZE])
    try:
        seconds = _install(iso, (tmp_raw, *keep), log, progress, timeout, extra_args)
    except BaseException:
        tmp_raw.unlink(missing_ok=True)  # nothing half-made is left behind
        raise
    tmp_raw.replace(raw)
    return InstalledDisk(raw, round(time.monotonic() - started, 1), seconds, log)


def _install(iso: Path, disks: tuple[Path, ...], log: Path, progress: Callable[[str], None], timeout: float,
             extra_args: str) -> int:
    with tempfile.TemporaryDirectory(prefix="ctvmdisk.", dir=disks[0].parent) as scratch:
        kernel, initrd = extract_boot_files(iso, Path(scratch))
        spec = VmSpec(image=iso, attach=disks, nics=1, memory_mib=2048,
                      direct=DirectBoot(kernel, initrd, install_command_line(extra_args)))
        with VmFiles(spec, parent=Path(scratch)) as files:
            argv = qemu_argv(spec, files, choose_accel("auto", iso), serial=f"file:{log}")
            progress(f"installing onto {disks[0].name} in qemu (serial log {log})")
            proc = spawn(argv, stderr=PIPE)
            try:
                return _wait_for_install(proc, log, timeout, progress)
            finally:
                if proc.poll() is None:
                    proc.kill()  # our own qemu, by its Popen handle
                    proc.wait(timeout=30)


def _wait_for_install(proc: Process[str], log: Path, timeout: float,
                      progress: Callable[[str], None]) -> int:
    """Follow the serial log until the installer reports and qemu powers off."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace") if log.exists() else ""
        failed = FAILED.search(text)
        if failed:
            raise ImageError(f"the installer failed in the VM: {failed.group(0).strip()}",
                             hint=f"serial log: {log}")
        step = re.findall(r"install-entry\[\d+\]: (.*)$", text[-4000:], re.M)
        if step and step[-1] != last:
            last = step[-1]
            progress(last.strip())
        if proc.poll() is not None:
            done = DONE.search(text)
            if proc.returncode == 0 and done:
                return int(done.group(2))
            stderr = proc.stderr.read() if proc.stderr else ""
            raise ImageError(f"qemu ended (status {proc.returncode}) before the installer finished: "
                             f"{stderr.strip()[-500:]}", hint=f"serial log: {log}")
        time.sleep(2)
    raise ImageError(f"the install did not finish within {timeout:.0f} s", hint=f"serial log: {log}")
