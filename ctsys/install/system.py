"""Copy the system onto the mounted target, configure it, install the bootloaders, verify."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ctsys.errors import CtsysError, ValidationError
from ctsys.install.answer import Answers
from ctsys.install.disk import Layout, chroot_mounts, esp_mounted
from ctsys.run import run

if TYPE_CHECKING:
    from ctsys.config.document import Appliance

Progress = Callable[[str], None]
CONSOLE = "console=tty0 console=ttyS0,115200n8"
# The live system names NICs eth0, eth1, ... (net.ifnames=0): the installed one must
# too, or the document's interfaces would name NICs that no longer exist.
KERNEL_ARGS = f"net.ifnames=0 {CONSOLE}"


def tree_bytes(path: Path) -> int:
    out = run(["du", "-sb", "--one-file-system", str(path)], timeout=300).stdout.split()
    return int(out[0]) if out else 0


def used_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return (st.f_blocks - st.f_bfree) * st.f_frsize


def copy_system(source: Path, target: Path, progress: Progress) -> int:
    """Copy a root tree (a directory, or a squashfs image) to `target`, reporting MB copied."""
    if source.is_dir():
        total = tree_bytes(source)
        argv = ["cp", "-a", "--one-file-system", f"{source}/.", str(target)]
    elif source.is_file():
        total = int(source.stat().st_size * 2.6)  # squashfs (zstd/xz) unpacks to about 2.6 times its size
        argv = ["unsquashfs", "-f", "-no-progress", "-d", str(target), str(source)]
    else:
        raise CtsysError(f"installation source {source} does not exist")
    start_used = used_bytes(target)
    error: list[BaseException] = []

    def work() -> None:
        try:
            run(argv, timeout=3600)
        except BaseException as exc:  # reported by the main thread
            error.append(exc)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    shown, shown_at = -1, 0.0
    while worker.is_alive():
        worker.join(2.0)
        done = used_bytes(target) - start_used
        percent = min(99, 100 * done // max(total, 1))
        # a line per 5 % (or 30 s): readable on a serial console, still alive-looking
        if percent >= shown + 5 or time.monotonic() - shown_at >= 30:
            shown, shown_at = percent, time.monotonic()
            progress(f"copy: {done / 1e6:,.0f} MB of ~{total / 1e6:,.0f} MB ({percent} %)")
    if error:
        raise error[0]
    return used_bytes(target) - start_used


def write_fstab(target: Path, layout: Layout) -> None:
    (target / "etc/fstab").write_text(
        "# CT-Server system disk, written by `ctsys install` (by UUID: device names change)\n"
        f"UUID={layout.root_uuid}\t/\text4\terrors=remount-ro\t0\t1\n"
        f"UUID={layout.efi_uuid}\t/boot/efi\tvfat\tumask=0077,nofail\t0\t2\n"
    )


def fresh_identity(target: Path) -> None:
    """A new machine-id and new SSH host keys: no two installed appliances share them."""
    (target / "etc/machine-id").write_text(uuid.uuid4().hex + "\n")
    for key in (target / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    run(["ssh-keygen", "-A", "-f", str(target)])


@dataclass(frozen=True)
class AnswerField:
    """One setting an answer file (or a first-boot seed) carries into the document."""

    name: str  # key in the answer file
    path: str  # where it goes in the document
    label: str  # how a history summary names it


ANSWER_FIELDS = (
    AnswerField("hostname", "system.hostname", "hostname"),
    AnswerField("timezone", "system.timezone", "time zone"),
    AnswerField("admin_authorized_keys", "system.admin.authorized_keys", "admin keys"),
    AnswerField("admin_password_hash", "system.admin.password_hash", "admin password"),
    AnswerField("network", "network", "network"),
)


def answers_into_document(doc: Appliance, answers: Answers) -> tuple[Appliance, list[AnswerField]]:
    """`doc` with what the answers set (unset answers leave the document alone), and the fields set.

    Every field is checked against the document schema; a ValidationError names the
    answer fields (`admin_authorized_keys`, `network.interfaces[0].mtu`), all at once.
    """
    from ctsys.config import edit

    problems: list[tuple[str, str]] = []
    used: list[AnswerField] = []
    for field in ANSWER_FIELDS:
        value = getattr(answers, field.name)
        if value is None or (field.name != "network" and not value):
            continue
        try:
            doc = edit.set_value(doc, field.path, value)
        except ValidationError as exc:
            problems += [(_answer_path(path, field), reason) for path, reason in exc.problems]
            continue
        used.append(field)
    if problems:
        raise ValidationError(problems)
    return doc, used


def _answer_path(path: str, field: AnswerField) -> str:
    """A document path as the answer file spells it: system.admin.authorized_keys -> admin_authorized_keys."""
    if path == field.path or path.startswith((field.path + ".", field.path + "[")):
        return field.name + path.removeprefix(field.path)
    return path


def configure_document(target: Path, answers: Answers) -> list[str]:
    """Apply the answer file to the installed system's document, then render it there."""
    from ctsys.apply.engine import Engine
    from ctsys.apply.registry import all_modules
    from ctsys.config.store import ConfigStore

    store = ConfigStore(target)
    with store.locked():
        doc, used = answers_into_document(store.load(), answers)
        paths = [f.path for f in used]
        store.commit(doc, "ctsys install (answer file)", summary="install: " + ", ".join(paths))
        outcomes = Engine(target, all_modules(), live=False).apply(doc)
    set_admin_password(target, doc)
    failed = [f"{o.module}: {o.error}" for o in outcomes if o.status in ("failed", "skipped")]
    if failed:
        raise CtsysError("the installed system's configuration could not be rendered:\n  " + "\n  ".join(failed))
    return paths


def set_admin_password(target: Path, doc: Appliance) -> None:
    """The document's administrator and password hash into the installed system's account files.

    On a running system the system module's activation does it; an install renders
    into a tree, where nothing activates. No hash: the account stays without one
    (the installed system makes a one-time password at first boot).
    """
    admin = doc.system.admin
    if not _has_account(target, admin.name):
        run(["useradd", "--root", str(target), "--create-home", "--shell", "/bin/bash",
             "--groups", "sudo", admin.name])
    if admin.password_hash:
        run(["chpasswd", "--encrypted", "--root", str(target)], input=f"{admin.name}:{admin.password_hash}\n")


def _has_account(target: Path, name: str) -> bool:
    passwd = target / "etc/passwd"
    return passwd.exists() and any(line.split(":", 1)[0] == name for line in passwd.read_text().splitlines())


def kernel_files(target: Path, medium: Path | None) -> None:
    """The installed system boots its own kernel from /boot; take the medium's if the image left none."""
    boot = target / "boot"
    if any(boot.glob("vmlinuz-*")):
        return
    if medium is None or not (medium / "live/vmlinuz").exists():
        raise CtsysError("no kernel in the copied system's /boot and none on the live medium")
    modules = sorted(p.name for p in (target / "lib/modules").iterdir()) if (target / "lib/modules").is_dir() else []
    if not modules:
        raise CtsysError("the copied system has no kernel modules (lib/modules): it cannot boot")
    version = modules[-1]
    shutil.copy2(medium / "live/vmlinuz", boot / f"vmlinuz-{version}")
    shutil.copy2(medium / "live/initrd.img", boot / f"initrd.img-{version}")


GRUB_DEFAULTS = (
    "# written by ctsys install\n"
    "GRUB_DEFAULT=0\nGRUB_TIMEOUT=3\nGRUB_DISTRIBUTOR=CT-Server\n"
    # no "quiet": a server's boot messages on the console are what a technician reads first
    f'GRUB_CMDLINE_LINUX_DEFAULT=""\nGRUB_CMDLINE_LINUX="{KERNEL_ARGS}"\n'
    'GRUB_TERMINAL="console serial"\n'
    'GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"\n'
    "GRUB_DISABLE_OS_PROBER=true\n"
)


def newest_kernel(target: Path) -> str:
    """The version of the newest kernel in target/boot that has its initrd beside it."""
    versions = [p.name.removeprefix("vmlinuz-") for p in (target / "boot").glob("vmlinuz-*")]
    usable = [v for v in versions if (target / "boot" / f"initrd.img-{v}").is_file()]
    if not usable:
        raise CtsysError("no kernel with its initrd in the copied system's /boot: it cannot boot")

    def key(version: str) -> list[tuple[int, str]]:
        return [(int(part), "") if part.isdigit() else (-1, part) for part in version.replace("-", ".").split(".")]

    return max(usable, key=key)


def grub_menu(root_uuid: str, version: str) -> str:
    """The installed system's first grub.cfg: what update-grub would make from GRUB_DEFAULTS,
    without its minute of probing under emulation. A kernel update later runs update-grub,
    which rewrites it from /etc/default/grub (the same settings)."""
    kernel = f"/boot/vmlinuz-{version}"
    initrd = f"/boot/initrd.img-{version}"
    args = f"root=UUID={root_uuid} ro {KERNEL_ARGS}"
    return (
        "# written by ctsys install; update-grub rewrites it from /etc/default/grub\n"
        "serial --unit=0 --speed=115200\n"
        "terminal_input console serial\n"
        "terminal_output console serial\n"
        "set default=0\n"
        "set timeout=3\n"
        "insmod part_gpt\n"
        "insmod ext2\n"
        f"search --no-floppy --fs-uuid --set=root {root_uuid}\n"
        f"menuentry 'CT-Server, Linux {version}' --id ct-server {{\n"
        f"    linux {kernel} {args}\n"
        f"    initrd {initrd}\n"
        "}\n"
        f"menuentry 'CT-Server, Linux {version} (recovery mode)' --id ct-server-recovery {{\n"
        f"    linux {kernel} {args} single\n"
        f"    initrd {initrd}\n"
        "}\n"
    )


def install_bootloaders(target: Path, layout: Layout, progress: Progress | None = None) -> dict[str, float]:
    """GRUB for BIOS (into the BIOS boot partition) and for UEFI (the removable path, no NVRAM entry:
    the disk boots on any machine it is moved to), with the target's own GRUB; then its menu,
    checked by the target's grub-script-check. Returns the seconds of each part."""
    default = target / "etc/default/grub"
    default.parent.mkdir(parents=True, exist_ok=True)
    default.write_text(GRUB_DEFAULTS)
    times: dict[str, float] = {}
    chroot = ["chroot", str(target)]
    commands = {
        "bios": [*chroot, "grub-install", "--target=i386-pc", layout.disk],
        "uefi": [*chroot, "grub-install", "--target=x86_64-efi", "--efi-directory=/boot/efi",
                 "--boot-directory=/boot", "--removable", "--no-nvram"],
    }
    with esp_mounted(layout, target), chroot_mounts(target):
        for name, argv in commands.items():
            start = time.monotonic()
            run(argv, timeout=300)
            times[name] = round(time.monotonic() - start, 1)
            if progress:
                progress(f"bootloader: GRUB for {name.upper()} in {times[name]:.1f} s")
        start = time.monotonic()
        menu = target / "boot/grub/grub.cfg"
        menu.write_text(grub_menu(layout.root_uuid, newest_kernel(target)))
        run([*chroot, "grub-script-check", "/boot/grub/grub.cfg"], timeout=60)
        times["menu"] = round(time.monotonic() - start, 1)
    return times


def efi_files(layout: Layout, target: Path) -> list[str]:
    """Files on the ESP, relative to it (read while it is mounted for the bootloader step)."""
    with esp_mounted(layout, target) as esp:
        return sorted(str(p.relative_to(esp)) for p in esp.rglob("*") if p.is_file())


REQUIRED = (
    "etc/fstab",
    "etc/machine-id",
    "etc/ssh/ssh_host_ed25519_key",
    "etc/ctsys/appliance.yaml",
    "boot/grub/grub.cfg",
    "boot/grub/i386-pc/core.img",
    "boot/efi/EFI/BOOT/BOOTX64.EFI",
)


def verify_tree(target: Path, bootloader: bool, efi_files: list[str] | None = None) -> list[str]:
    """What is missing from the installed tree ([] when complete); the ESP is checked from `efi_files`."""
    wanted = tuple(p for p in REQUIRED if bootloader or not p.startswith("boot/"))
    missing = [p for p in wanted if not p.startswith("boot/efi/") and not (target / p).exists()]
    if bootloader:
        on_esp = set(efi_files or [])
        missing += [p for p in wanted if p.startswith("boot/efi/") and p.removeprefix("boot/efi/") not in on_esp]
    if bootloader:
        cfg = (target / "boot/grub/grub.cfg").read_text() if (target / "boot/grub/grub.cfg").exists() else ""
        if "linux" not in cfg:
            missing.append("boot/grub/grub.cfg has no kernel entry")
    return missing


def check_filesystems(layout: Layout) -> None:
    """After unmounting: fsck in read-only mode must find both filesystems clean."""
    run(["fsck.ext4", "-n", layout.root], timeout=600)
    run(["fsck.vfat", "-n", layout.efi], timeout=120)


def record_install(target: Path, disk_serial: str | None, source: str, seconds: float) -> None:
    info = {
        "installed": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "disk_serial": disk_serial,
        "source": source,
        "seconds": round(seconds, 1),
    }
    path = target / "etc/ct-server/installed.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(info, indent=1) + "\n")
