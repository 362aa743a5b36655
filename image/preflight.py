"""Checks before a long build: everything missing is reported at once, with
the Debian package that provides it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from image.config import Config
from image.errors import ImageError, PreflightFailed
from image.profile import Profile
from image.run import run

# Every host tool the build calls -> the Debian package that provides it (the files rendered
# into the rootfs are checked by the rootfs's own sshd, chronyd, nft..., not the host's).
TOOLS = {
    "mmdebstrap": "mmdebstrap",
    "cp": "coreutils",
    "rm": "coreutils",
    "nice": "coreutils",
    "env": "coreutils",
    "depmod": "kmod",
    "umount": "mount",
    "mksquashfs": "squashfs-tools",
    "xorriso": "xorriso",
    "grub-mkimage": "grub-common",
    "mformat": "mtools",
    "mcopy": "mtools",
    "mmd": "mtools",
    "dpkg-deb": "dpkg",
    "chroot": "coreutils",
    "mount": "mount",
    "ssh-keygen": "openssh-client",
}
# What the `vm` stage (VM image outputs) calls besides.
VM_TOOLS = {"qemu-system-x86_64": "qemu-system-x86", "qemu-img": "qemu-utils"}
GRUB_PLATFORMS = {"i386-pc": "grub-pc-bin", "x86_64-efi": "grub-efi-amd64-bin"}
MIN_FREE_GIB = 6.0


def free_gib(path: Path) -> float:
    probe = path
    while not probe.exists():
        probe = probe.parent
    usage = shutil.disk_usage(probe)
    return usage.free / 2**30


def problems(config: Config, profile: Profile) -> list[str]:
    found: list[str] = []
    if os.geteuid() != 0:
        found.append("ctimage build must run as root (mmdebstrap --mode=root, chroot, mounts)")
    tools = TOOLS | (VM_TOOLS if set(config.outputs) - {"iso"} else {})
    missing = sorted({pkg for tool, pkg in tools.items() if shutil.which(tool) is None})
    if missing:
        found.append("missing tools; apt-get install " + " ".join(missing))
    for platform, pkg in GRUB_PLATFORMS.items():
        if not (Path("/usr/lib/grub") / platform / "kernel.img").is_file():
            found.append(f"no GRUB {platform} modules; apt-get install {pkg}")
    try:
        from image.stages.provision import ansible_playbook

        ansible_playbook()
    except ImageError as exc:
        found.append(str(exc))
    if run(["/usr/bin/python3", "-c", "import venv"], check=False).returncode != 0:
        found.append("/usr/bin/python3 cannot make virtual environments; apt-get install "
                     "python3-venv")
    for path in {config.output_dir, config.cache_dir}:
        free = free_gib(path)
        if free < MIN_FREE_GIB:
            found.append(f"only {free:.1f} GiB free under {path}; a build needs "
                         f"{MIN_FREE_GIB:.0f} GiB")
    if not config.effective_mirror(profile).strip():
        found.append(f"profile {profile.name} names no mirror; pass --mirror")
    return found


def check(config: Config, profile: Profile) -> None:
    found = problems(config, profile)
    if found:
        raise PreflightFailed(found)
