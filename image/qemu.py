"""qemu command lines for booting an image, shared by `ctimage boot` and the
system-test harness (tests/system/harness.py).

Guest networking is user-mode with restrict=on only: no packet leaves the
host; SSH is reachable through a hostfwd bound to 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TextIO

from image.errors import CommandFailed, ImageError
from image.run import run

QEMU = "qemu-system-x86_64"
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
DISK_BUSES = ("virtio", "ide", "nvme")
# isa-debug-exit: a guest writing V to port 0xf4 makes qemu exit with (V << 1) | 1
DEBUG_EXIT_PORT = 0xF4
ACCEL_CACHE = Path("/run/ctimage-accel.json")


@dataclass(frozen=True)
class DirectBoot:
    """Boot a kernel and initrd with our own command line (no boot menu): how
    `ctimage` runs the installer unattended to make VM disks."""

    kernel: Path
    initrd: Path
    append: str


@dataclass(frozen=True)
class VmSpec:
    image: Path | None  # the ISO (CD, or USB stick with usb=True); None: boot from `attach`
    uefi: bool = False
    usb: bool = False
    nics: int = 1
    disks: int = 0
    disk_size: str = "4G"
    disk_bus: str = "virtio"
    memory_mib: int = 2048
    cpus: int = 2
    ssh_port: int | None = None
    # More TCP ports of the first NIC forwarded from 127.0.0.1: (host port, guest port)
    tcp_forwards: tuple[tuple[int, int], ...] = field(default_factory=tuple)
    extra_args: tuple[str, ...] = field(default_factory=tuple)
    # Existing disk files (raw, or qcow2 by suffix), kept after the VM: system disks
    # that survive a reboot, data disks prepared beforehand. The first is the boot disk
    # when there is no medium. Serial numbers CTATT0000, CTATT0001, ...
    attach: tuple[Path, ...] = field(default_factory=tuple)
    direct: DirectBoot | None = None

    def __post_init__(self) -> None:
        if self.image is None and not self.attach:
            raise ImageError("nothing to boot: no image and no attached disk")
        for path in ((self.image,) if self.image is not None else ()) + self.attach:
            if not path.is_file():
                raise ImageError(f"no image {path}")
        if self.nics < 0 or self.disks < 0:
            raise ImageError("--nics and --disks must be 0 or more")
        if self.disk_bus not in DISK_BUSES:
            raise ImageError(f"disk bus {self.disk_bus!r} is not one of {', '.join(DISK_BUSES)}")
        if self.uefi and not OVMF_CODE.is_file():
            raise ImageError(f"no {OVMF_CODE}", hint="apt-get install ovmf")


class VmFiles:
    """Per-VM scratch files (data disks, UEFI variables, monitor socket),
    removed when the block ends."""

    def __init__(self, spec: VmSpec, parent: Path | None = None) -> None:
        self.spec = spec
        self.parent = parent
        self.dir = Path()
        self.disks: list[Path] = []
        self.ovmf_vars: Path | None = None

    def __enter__(self) -> VmFiles:
        self.dir = Path(tempfile.mkdtemp(prefix="ctvm.", dir=self.parent))
        for i in range(self.spec.disks):
            disk = self.dir / f"disk{i}.qcow2"
            run(["qemu-img", "create", "-q", "-f", "qcow2", disk, self.spec.disk_size], capture=False)
            self.disks.append(disk)
        if self.spec.uefi:
            self.ovmf_vars = self.dir / "OVMF_VARS.fd"
            shutil.copy(OVMF_VARS, self.ovmf_vars)
        return self

    @property
    def monitor(self) -> Path:
        return self.dir / "monitor.sock"

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def qemu_argv(spec: VmSpec, files: VmFiles, accel: str, serial: str = "stdio",
              monitor: bool = False) -> list[str]:
    argv = [QEMU, "-name", "ct-server-test", "-m", str(spec.memory_mib), "-smp", str(spec.cpus),
            "-display", "none", "-no-reboot"]
    if serial == "stdio":
        # signal=off: a Ctrl-C typed on the serial line (pexpect's pty) reaches the
        # guest's console instead of ending qemu
        argv += ["-chardev", "stdio,id=serial0,signal=off", "-serial", "chardev:serial0"]
    else:
        argv += ["-serial", serial]
    argv += ["-accel", "tcg,thread=multi"] if accel == "tcg" else ["-accel", "kvm", "-cpu", "host"]
    if monitor:
        argv += ["-monitor", f"unix:{files.monitor},server=on,wait=off"]
    else:
        argv += ["-monitor", "none"] if serial != "mon:stdio" else []
    if spec.uefi:
        argv += ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}",
                 "-drive", f"if=pflash,format=raw,unit=1,file={files.ovmf_vars}"]
    medium = f"if=none,id=medium,format=raw,readonly=on,file={spec.image}"
    if spec.image is None:
        pass
    elif spec.usb:
        argv += ["-device", "qemu-xhci,id=xhci", "-drive", medium,
                 "-device", "usb-storage,id=medium-dev,bus=xhci.0,drive=medium,removable=on,bootindex=0"]
    else:
        # virtio-scsi rather than IDE: copying the squashfs to RAM (toram) is
        # several times faster without emulating an IDE controller under TCG
        # a direct kernel boot takes boot index 0 itself (qemu's linuxboot option ROM)
        boot = "" if spec.direct is not None else ",bootindex=0"
        argv += ["-device", "virtio-scsi-pci,id=scsi0", "-drive", medium + ",media=cdrom",
                 "-device", f"scsi-cd,id=medium-dev,bus=scsi0.0,drive=medium{boot}"]
    for i in range(spec.nics):
        netdev = f"user,id=net{i},restrict=on"
        if i == 0 and spec.ssh_port:
            netdev += f",hostfwd=tcp:127.0.0.1:{spec.ssh_port}-:22"
        if i == 0:
            netdev += "".join(f",hostfwd=tcp:127.0.0.1:{host}-:{guest}" for host, guest in spec.tcp_forwards)
        argv += ["-netdev", netdev,
                 "-device", f"virtio-net-pci,netdev=net{i},mac=52:54:00:c7:00:{i:02x}"]
    for i, disk in enumerate(files.disks):
        serial_no = f"CTDISK{i:04d}"
        argv += ["-drive", f"if=none,id=disk{i},format=qcow2,file={disk}"]
        if spec.disk_bus == "virtio":
            argv += ["-device", f"virtio-blk-pci,drive=disk{i},serial={serial_no}"]
        elif spec.disk_bus == "ide":
            argv += ["-device", f"ide-hd,drive=disk{i},serial={serial_no}"]
        else:
            argv += ["-device", f"nvme,drive=disk{i},serial={serial_no}"]
    for i, disk in enumerate(spec.attach):
        fmt = "qcow2" if disk.suffix == ".qcow2" else "raw"
        boot = ",bootindex=1" if i == 0 else ""
        argv += ["-drive", f"if=none,id=att{i},format={fmt},file={disk}",
                 "-device", f"virtio-blk-pci,drive=att{i},serial=CTATT{i:04d}{boot}"]
    if spec.direct is not None:
        argv += ["-kernel", str(spec.direct.kernel), "-initrd", str(spec.direct.initrd),
                 "-append", spec.direct.append]
    argv += ["-device", f"isa-debug-exit,iobase={DEBUG_EXIT_PORT:#x},iosize=0x04"]
    argv += list(spec.extra_args)
    return argv


def kvm_usable() -> bool:
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


def _extract_kernel(image: Path, into: Path) -> Path:
    kernel = into / "vmlinuz"
    run(["xorriso", "-osirrox", "on", "-indev", image, "-extract", "/live/vmlinuz", kernel], timeout=60)
    return kernel


def probe_kvm(image: Path, timeout: float = 20.0) -> bool:
    """Does KVM really run a guest kernel? Boot the image's kernel without a
    root filesystem: under working KVM it panics ("VFS: Unable to mount root")
    within a second or two; a broken nested backend hangs, so time out."""
    if not kvm_usable():
        return False
    with tempfile.TemporaryDirectory(prefix="ctkvm.") as tmp:
        try:
            kernel = _extract_kernel(image, Path(tmp))
        except (CommandFailed, OSError):
            return False
        argv = [QEMU, "-accel", "kvm", "-cpu", "host", "-m", "256", "-display", "none",
                "-serial", "stdio", "-monitor", "none", "-no-reboot", "-kernel", str(kernel),
                "-append", "console=ttyS0 panic=-1"]
        try:
            proc = run(argv, timeout=timeout, check=False)
        except CommandFailed:  # timed out: run() killed the qemu it started
            return False
        return bool(re.search(r"Kernel panic|VFS: Unable to mount", proc.stdout))


def choose_accel(requested: str, image: Path | None, out: TextIO | None = None) -> str:
    """'kvm' or 'tcg'. 'auto' probes once per host boot and remembers the answer
    (the probe boots the ISO's kernel: without an ISO and no answer yet, TCG)."""
    if requested in ("kvm", "tcg"):
        return requested
    boot_id = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    try:
        cached = json.loads(ACCEL_CACHE.read_text())
        if cached.get("boot_id") == boot_id:
            return str(cached["accel"])
    except (OSError, ValueError, KeyError):
        pass
    if image is None:
        return "tcg"
    accel = "kvm" if probe_kvm(image) else "tcg"
    if out is not None and accel == "tcg":
        reason = "no usable /dev/kvm" if not kvm_usable() else \
            "/dev/kvm does not run a guest kernel here (nested backend)"
        print(f"ctimage: {reason}: using TCG (slower: boot takes about a minute)", file=out)
    with contextlib.suppress(OSError):
        ACCEL_CACHE.write_text(json.dumps({"boot_id": boot_id, "accel": accel}))
    return accel


ONE_TIME_PASSWORD = re.compile(
    r"one-time password for (?P<user>[a-z_][a-z0-9_-]*): (?P<password>[a-z0-9]{4}(?:-[a-z0-9]{4}){3})",
    re.IGNORECASE)


def one_time_password(console: str) -> tuple[str, str] | None:
    """(user, password) of the last one-time administrator password the guest printed on its console."""
    found = list(ONE_TIME_PASSWORD.finditer(console))
    return (found[-1]["user"], found[-1]["password"]) if found else None


def ssh_banner(port: int | None, timeout: float = 3.0) -> bool:
    """True when an SSH server answers on 127.0.0.1:port (the guest's sshd)."""
    import socket

    if not port:
        return False
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            return sock.recv(64).startswith(b"SSH-")
    except OSError:
        return False
