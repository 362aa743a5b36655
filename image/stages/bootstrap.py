"""Stage 1: a minimal rootfs with every package of the profile (mmdebstrap).

The result is cached under a manifest of everything that decides its content
(distribution, release, mirror, apt sources, package list, dpkg options): an
unchanged rebuild copies the cached tree, a changed manifest bootstraps anew.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from pathlib import Path
from typing import Any

from image import REPO_ROOT
from image.chroot import leftover_mounts
from image.context import Context
from image.errors import ImageError
from image.run import run

MANIFEST_FORMAT = 1
# Documentation, man pages and translations are dead weight on an appliance.
DPKG_OPTIONS = (
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/locale/*",
    "path-include=/usr/share/locale/locale.alias",
)
APT_OPTIONS = ('Acquire::Retries "3"', 'APT::Install-Recommends "false"')
# initramfs-tools hooks in place before the kernel is installed, so the one
# initramfs the bootstrap makes (and any later update-initramfs) has them.
INITRAMFS_HOOKS = (REPO_ROOT / "live" / "initramfs" / "zz-ct-server-trim",)
HOOK_DIR = "/etc/initramfs-tools/hooks"


def initramfs_hooks() -> dict[str, str]:
    """Each hook's name and the sha256 of its content: part of the cache manifest."""
    return {hook.name: hashlib.sha256(hook.read_bytes()).hexdigest() for hook in INITRAMFS_HOOKS}


def manifest(ctx: Context) -> dict[str, Any]:
    profile, config = ctx.profile, ctx.config
    return {
        "format": MANIFEST_FORMAT,
        "distribution": profile.distribution,
        "release": profile.release,
        "mirror": config.effective_mirror(profile),
        "sources": profile.apt_sources(config.mirror),
        "packages": list(config.packages(profile)),
        "variant": "apt",
        "dpkg_options": list(DPKG_OPTIONS),
        "apt_options": list(APT_OPTIONS),
        "initramfs_hooks": initramfs_hooks(),
    }


def cache_key(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def cache_entry(ctx: Context) -> Path:
    data = manifest(ctx)
    return ctx.config.cache_dir / "bootstrap" / f"{ctx.profile.name}-{ctx.config.flavour}-{cache_key(data)}"


def mmdebstrap_argv(ctx: Context, target: Path) -> list[str]:
    data = manifest(ctx)
    argv = ["mmdebstrap", "--variant=apt", "--mode=root", "--format=directory",
            "--include=" + ",".join(data["packages"])]
    argv += [f"--aptopt={o}" for o in APT_OPTIONS]
    argv += [f"--dpkgopt={o}" for o in DPKG_OPTIONS]
    argv += [f'--setup-hook=mkdir -p "$1{HOOK_DIR}"']
    for hook in INITRAMFS_HOOKS:
        argv += [f"--setup-hook=copy-in {hook} {HOOK_DIR}",
                 f'--setup-hook=chmod 0755 "$1{HOOK_DIR}/{hook.name}"']
    argv += [ctx.profile.release, str(target), *data["sources"]]
    return argv


def run_stage(ctx: Context) -> str:
    """Leave a fresh copy of the bootstrap in ctx.rootfs; return 'cached' or 'built'."""
    entry = cache_entry(ctx)
    state = "cached"
    entry.parent.mkdir(parents=True, exist_ok=True)
    # builds sharing the cache wait for each other instead of racing on one entry
    with open(entry.with_name(entry.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (entry / "manifest.json").is_file():
            state = "built"
            tmp = entry.with_name(entry.name + ".tmp")
            if tmp.exists():
                run(["rm", "-rf", "--one-file-system", tmp])
            tmp.mkdir(parents=True)
            ctx.progress("bootstrap: mmdebstrap (a few minutes on a cold cache)")
            run(["nice", "-n", "5", *mmdebstrap_argv(ctx, tmp / "rootfs")],
                env=ctx.epoch_env, log_file=ctx.log_file)
            (tmp / "manifest.json").write_text(json.dumps(manifest(ctx), indent=2,
                                                          sort_keys=True))
            tmp.rename(entry)
    if ctx.rootfs.exists():
        busy = leftover_mounts(ctx.rootfs)
        if busy:
            raise ImageError(f"{ctx.rootfs} is in use: {', '.join(busy)} mounted",
                             hint="another build or `ctimage provision` runs there; "
                                  "wait for it, or unmount after a crash")
        run(["rm", "-rf", "--one-file-system", ctx.rootfs])
    ctx.rootfs.parent.mkdir(parents=True, exist_ok=True)
    run(["cp", "-a", "--reflink=auto", entry / "rootfs", ctx.rootfs])
    return state
