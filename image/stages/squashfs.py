"""Stage 5: the rootfs as a compressed squashfs (zstd for tests, xz for releases)."""

from __future__ import annotations

from pathlib import Path

from image.context import Context
from image.run import run

COMPRESSORS = {
    "zstd": ["-comp", "zstd", "-Xcompression-level", "3"],
    "xz": ["-comp", "xz", "-Xbcj", "x86"],
}


def mksquashfs_argv(rootfs: Path, target: Path, compression: str,
                    epoch: int | None) -> list[str]:
    argv = ["mksquashfs", str(rootfs), str(target), "-noappend", *COMPRESSORS[compression],
            "-no-progress", "-quiet", "-wildcards", "-e", "proc/*", "sys/*", "dev/*", "run/*"]
    if epoch is not None:
        # every inode and the superblock get the same time: reproducible
        argv += ["-mkfs-time", str(epoch), "-all-time", str(epoch)]
    return argv


def run_stage(ctx: Context) -> str:
    target = ctx.staging / "live" / "filesystem.squashfs"
    target.parent.mkdir(parents=True, exist_ok=True)
    run(["nice", "-n", "5", *mksquashfs_argv(ctx.rootfs, target, ctx.config.compression,
                                              ctx.config.source_date_epoch)],
        log_file=ctx.log_file)
    return f"{target.stat().st_size / 2**20:.0f} MiB {ctx.config.compression}"
