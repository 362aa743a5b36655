"""Stage 6: the hybrid ISO: BIOS (El Torito + hybrid MBR) and UEFI (EFI
partition), bootable as a CD or written to a USB stick with dd.

GRUB images are made here rather than by grub-mkrescue for two reasons: the
EFI image must carry a config that searches for the medium (a USB stick does
not look like a CD to UEFI), and grub-mkrescue stamps the ISO with the
current time, which SOURCE_DATE_EPOCH cannot override.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

from image import REPO_ROOT
from image.context import Context
from image.run import run

ISO_ASSETS = REPO_ROOT / "iso"
GRUB_LIB = Path("/usr/lib/grub")
BIOS_MODULES = ("biosdisk", "iso9660", "part_msdos", "part_gpt", "search", "search_fs_file",
                "normal", "configfile", "linux", "linux16", "echo", "test", "serial",
                "terminal", "sleep")
EFI_MODULES = ("part_gpt", "part_msdos", "fat", "iso9660", "search", "search_fs_file",
               "normal", "configfile", "linux", "echo", "test", "serial", "terminal",
               "efi_gop", "all_video", "sleep", "chain")
MEMTEST_FILES = ("memtest86+x64.bin", "memtest86+x64.efi")
VOLUME_ID = "CTSERVER"


def marker(ctx: Context) -> str:
    """Name of the file the GRUB images search for: unique per image build."""
    ident = f"{ctx.config.image_name} {ctx.config.image_version} {ctx.config.source_date_epoch}"
    return "ctserver-" + hashlib.sha256(ident.encode()).hexdigest()[:12]


def render_menu(ctx: Context, memtest: bool) -> str:
    menu = (ISO_ASSETS / "grub.cfg").read_text()
    values = {
        "TIMEOUT": str(ctx.config.boot_timeout),
        "DEFAULT": ctx.config.boot_default,
        "VERSION": ctx.config.image_version or "",
        # net.ifnames=0: NICs are eth0, eth1... as the default document names them
        "LIVE_ARGS": "boot=live components toram net.ifnames=0",
        "MEMTEST": (ISO_ASSETS / "memtest.cfg").read_text() if memtest else "",
    }
    for key, value in values.items():
        menu = menu.replace(f"@{key}@", value)
    return menu


def _newest(rootfs: Path, pattern: str) -> Path:
    found = sorted((rootfs / "boot").glob(pattern))
    if not found:
        from image.errors import ImageError

        raise ImageError(f"no /boot/{pattern} in the rootfs", hint="is a kernel in the profile?")
    return found[-1]


def populate(ctx: Context) -> None:
    """Kernel, initrd, menu, memtest, marker and GRUB modules into the staging tree."""
    staging, rootfs = ctx.staging, ctx.rootfs
    (staging / "live").mkdir(parents=True, exist_ok=True)
    shutil.copy(_newest(rootfs, "vmlinuz-*"), staging / "live" / "vmlinuz")
    shutil.copy(_newest(rootfs, "initrd.img-*"), staging / "live" / "initrd.img")
    grub = staging / "boot" / "grub"
    grub.mkdir(parents=True, exist_ok=True)
    memtest = all((rootfs / "boot" / f).is_file() for f in MEMTEST_FILES)
    if memtest:
        for name in MEMTEST_FILES:
            shutil.copy(rootfs / "boot" / name, staging / "boot" / name)
    (grub / "grub.cfg").write_text(render_menu(ctx, memtest))
    disk = staging / ".disk"
    disk.mkdir(exist_ok=True)
    (disk / marker(ctx)).write_text("")
    (disk / "info").write_text(f"CT-Server {ctx.config.image_version} {ctx.config.image_name}\n")
    for platform in ("i386-pc", "x86_64-efi"):
        target = grub / platform
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(GRUB_LIB / platform, target,
                        ignore=shutil.ignore_patterns("*.image", "*.module", "*.exec", "*.S",
                                                      "*.h", "config.h", "gdb_*", "*.py"))


def make_grub_images(ctx: Context) -> None:
    grub = ctx.staging / "boot" / "grub"
    work = ctx.workspace / "grub"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    embedded = work / "embedded.cfg"
    embedded.write_text((ISO_ASSETS / "embedded.cfg").read_text().replace("@MARKER@", marker(ctx)))
    run(["grub-mkimage", "-O", "i386-pc-eltorito", "-d", GRUB_LIB / "i386-pc", "-p", "/boot/grub",
         "-c", embedded, "-o", grub / "i386-pc" / "eltorito.img", *BIOS_MODULES])
    bootx64 = work / "BOOTX64.EFI"
    run(["grub-mkimage", "-O", "x86_64-efi", "-d", GRUB_LIB / "x86_64-efi", "-p", "/boot/grub",
         "-c", embedded, "-o", bootx64, *EFI_MODULES])
    stub = work / "grub.cfg"
    stub.write_text((ISO_ASSETS / "efi-stub.cfg").read_text().replace("@MARKER@", marker(ctx)))
    epoch = ctx.config.source_date_epoch
    if epoch is not None:
        for path in (bootx64, stub):
            os.utime(path, (epoch, epoch))
    efi_img = grub / "efi.img"
    efi_img.unlink(missing_ok=True)
    size_kib = max(4096, (bootx64.stat().st_size // 1024) * 2)
    with efi_img.open("wb") as fat:
        fat.truncate(size_kib * 1024)
    serial = f"{(epoch or 0) & 0xFFFFFFFF:08x}"  # FAT volume serial: fixed, not random
    env = ctx.epoch_env
    run(["mformat", "-i", efi_img, "-N", serial, "::"], env=env)
    run(["mmd", "-i", efi_img, "::/EFI", "::/EFI/BOOT"], env=env)
    run(["mcopy", "-m", "-i", efi_img, bootx64, stub, "::/EFI/BOOT/"], env=env)


def xorriso_argv(staging: Path, output: Path, epoch: int | None) -> list[str]:
    argv = ["xorriso", "-as", "mkisofs", "-iso-level", "3", "-full-iso9660-filenames",
            "-joliet", "-joliet-long", "-rational-rock", "-volid", VOLUME_ID,
            "-appid", "CT-Server appliance"]
    if epoch is not None:
        stamp = time.strftime("%Y%m%d%H%M%S00", time.gmtime(epoch))
        argv += ["--modification-date=" + stamp]
    argv += [
        # BIOS: El Torito boot image, and a hybrid MBR for USB sticks
        "-b", "boot/grub/i386-pc/eltorito.img", "-no-emul-boot", "-boot-load-size", "4",
        "-boot-info-table", "--grub2-boot-info",
        "--grub2-mbr", str(GRUB_LIB / "i386-pc" / "boot_hybrid.img"),
        # UEFI: the FAT image as El Torito alternative and as an EFI system
        # partition in the hybrid table (what grub-mkrescue does)
        "--efi-boot", "boot/grub/efi.img", "-efi-boot-part", "--efi-boot-image",
        "-o", str(output), str(staging),
    ]
    return argv


def run_stage(ctx: Context) -> str:
    populate(ctx)
    make_grub_images(ctx)
    output = ctx.config.output_dir / f"{ctx.config.image_name}.iso"
    tmp = output.with_suffix(".iso.tmp")
    run(xorriso_argv(ctx.staging, tmp, ctx.config.source_date_epoch),
        env=ctx.epoch_env, log_file=ctx.log_file)
    tmp.rename(output)
    ctx.artifacts["iso"] = output
    return f"{output.stat().st_size / 2**20:.0f} MiB"
