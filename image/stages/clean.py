"""Stage 4: remove what must not ship or must differ per appliance: apt lists
and caches, logs, the machine id (systemd makes one on first boot), SSH host
keys (ct-ssh-host-keys.service generates them on first boot), the appliance TLS
certificate and key (ctsys-cert.service makes them before nginx starts), build leftovers."""

from __future__ import annotations

import fnmatch
import os
import shutil
from pathlib import Path

from image.chroot import allow_service_starts, leftover_mounts
from image.context import Context
from image.errors import ImageError
from image.run import run

# Globs relative to the rootfs; directories are emptied, files removed.
REMOVE = (
    "var/lib/apt/lists/*",
    "var/cache/apt/*.bin",
    "var/cache/apt/archives/*.deb",
    "var/cache/debconf/*-old",
    "var/lib/dpkg/*-old",
    "var/cache/ldconfig/aux-cache",
    "var/lib/systemd/random-seed",
    "var/lib/dbus/machine-id",
    "etc/ssh/ssh_host_*",
    # each appliance makes its own (ctsys-cert.service); its request file stays
    "etc/ctsys/tls/*appliance.*",
    "var/log/*.log",
    "var/log/apt/*",
    "var/log/journal/*",
    # what `ctsys --root apply` logged and locked at build time: not the appliance's
    "var/log/ctsys/*",
    "var/lib/ctsys/lock",
    "root/.ansible",
    "root/.cache",
    "tmp/*",
    "tmp/.*",
    "var/tmp/*",
)


def strip(rootfs: Path, patterns: tuple[str, ...]) -> int:
    """Remove the flavour's unneeded paths; refresh module lists if modules went."""
    removed = 0
    for pattern in patterns:
        for path in rootfs.glob(pattern):
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
            removed += 1
    if removed and any("modules" in p for p in patterns):
        for kernel in (rootfs / "usr" / "lib" / "modules").iterdir():
            run(["depmod", "--basedir", rootfs, kernel.name])
    return removed


# A compiler or assembler on an appliance lets an intruder build tools on the
# spot (Lynis HRDN-7222); none must come in, not even through a dependency.
COMPILERS = ("cc", "c++", "gcc", "gcc-[0-9]*", "g++*", "*-linux-gnu-gcc*", "*-linux-gnu-g++*",
             "clang*", "tcc", "as", "*-linux-gnu-as", "ld", "ld.bfd", "ld.gold")


def compilers(rootfs: Path) -> list[str]:
    """Compilers, assemblers and linkers in the rootfs's /usr/bin (relative paths;
    a dangling alternatives link counts too)."""
    bin_dir = rootfs / "usr" / "bin"
    names = sorted(os.listdir(bin_dir)) if bin_dir.is_dir() else []
    return [f"usr/bin/{name}" for name in names
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in COMPILERS)]


def refuse_compilers(rootfs: Path) -> None:
    found = compilers(rootfs)
    if found:
        raise ImageError("the image holds a compiler: " + ", ".join(found),
                         hint=f"`chroot {rootfs} dpkg -S /{found[0]}` names the package; "
                              "remove it or the package that depends on it from the profile")


def clean(rootfs: Path) -> int:
    leftovers = leftover_mounts(rootfs)
    if leftovers:
        raise ImageError("filesystems are still mounted in the rootfs: " + ", ".join(leftovers))
    allow_service_starts(rootfs)
    removed = 0
    for pattern in REMOVE:
        for path in rootfs.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed += 1
    # empty, not absent: systemd then writes a new id on first boot
    (rootfs / "etc" / "machine-id").write_text("")
    return removed


def run_stage(ctx: Context) -> str:
    refuse_compilers(ctx.rootfs)
    stripped = strip(ctx.rootfs, ctx.profile.flavour(ctx.config.flavour).strip)
    return f"{clean(ctx.rootfs)} paths removed, {stripped} stripped"
