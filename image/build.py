"""build_image(): the stages, one after the other, top to bottom."""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from image import REPO_ROOT, preflight
from image.chroot import deny_service_starts, mounted
from image.config import Config
from image.context import Context
from image.run import run
from image.stages import bootstrap, clean, iso, packages, provision, squashfs, vm


def _provision(ctx: Context) -> str:
    deny_service_starts(ctx.rootfs)
    with mounted(ctx.rootfs):
        return provision.run_stage(ctx)


STAGES: tuple[tuple[str, Callable[[Context], str]], ...] = (
    ("bootstrap", bootstrap.run_stage),
    ("provision", _provision),
    ("packages", packages.run_stage),
    ("clean", clean.run_stage),
    ("squashfs", squashfs.run_stage),
    ("iso", iso.run_stage),
    ("vm", vm.run_stage),
)


# Everything in the repository an image is made from.
INPUTS = ("pyproject.toml", "image", "iso", "live", "roles", "packaging", "ctrun", "ctsys", "recorder")


def inputs_fingerprint(config: Config) -> str:
    """Same fingerprint = same image, up to the version string and the date:
    lets a test session reuse an image built from unchanged inputs."""
    digest = hashlib.sha256()
    settings = {k: v for k, v in config.to_dict().items()
                if k not in ("image_version", "source_date_epoch")}
    digest.update(json.dumps(settings, sort_keys=True).encode())
    for top in INPUTS:
        path = REPO_ROOT / top
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for f in files:
            if "__pycache__" in f.parts or f.suffix == ".pyc":
                continue
            digest.update(str(f.relative_to(REPO_ROOT)).encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class BuildResult:
    image: Path
    report: Path
    seconds: float


def prepare(ctx: Context) -> None:
    ctx.config.output_dir.mkdir(parents=True, exist_ok=True)
    ctx.config.cache_dir.mkdir(parents=True, exist_ok=True)
    ctx.log_file.write_text("")
    if ctx.staging.exists():
        shutil.rmtree(ctx.staging)
    ctx.workspace.mkdir(parents=True, exist_ok=True)
    if ctx.config.test_access and not ctx.test_key.is_file():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ctimage-test-harness",
             "-f", ctx.test_key])


@contextmanager
def workspace_lock(config: Config) -> Iterator[None]:
    """One build or re-provisioning at a time per image and output directory:
    sessions sharing /var/tmp/ctimage-system must not delete each other's
    rootfs (with its API filesystems mounted) mid-run."""
    config.output_dir.mkdir(parents=True, exist_ok=True)
    with open(config.output_dir / f"{config.image_name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def build_image(config: Config, out: TextIO = sys.stderr, check: bool = True,
                lock: bool = True) -> BuildResult:
    """Build the image; `lock=False` when the caller holds workspace_lock()."""
    if lock:
        with workspace_lock(config):
            return build_image(config, out, check, lock=False)
    profile = config.load_profile()
    if check:
        preflight.check(config, profile)
    ctx = Context(config, profile, stage_count=len(STAGES), out=out)
    start = time.monotonic()
    prepare(ctx)
    ctx.progress(f"building {config.image_name} {config.image_version}; log: {ctx.log_file}")
    for name, stage in STAGES:
        with ctx.stage(name) as record:
            record.note = stage(ctx)
    seconds = time.monotonic() - start
    image = ctx.artifacts["iso"]
    report = config.output_dir / f"{config.image_name}.build.json"
    report.write_text(json.dumps({
        "image": str(image),
        "fingerprint": inputs_fingerprint(config),
        "size_bytes": image.stat().st_size,
        "artifacts": {k: str(v) for k, v in ctx.artifacts.items()},
        "seconds": round(seconds, 1),
        "stages": [{"name": t.name, "seconds": round(t.seconds, 1), "note": t.note}
                   for t in ctx.timings],
        "config": config.to_dict(),
    }, indent=2))
    print_summary(ctx, image, seconds)
    return BuildResult(image=image, report=report, seconds=seconds)


def print_summary(ctx: Context, image: Path, seconds: float) -> None:
    print("\nBuild summary:", file=ctx.out)
    for t in ctx.timings:
        print(f"  {t.name:<10} {t.seconds:7.1f} s  {t.note}", file=ctx.out)
    print(f"  {'total':<10} {seconds:7.1f} s", file=ctx.out)
    print(f"  image      {image} ({image.stat().st_size / 2**20:.0f} MiB)", file=ctx.out)


def reprovision(config: Config, out: TextIO = sys.stderr, lock: bool = True) -> provision.Recap:
    """Run the roles over the rootfs a previous build left in its workspace;
    `lock=False` when the caller holds workspace_lock()."""
    if not lock:
        return _reprovision(config, out)
    with workspace_lock(config):
        return _reprovision(config, out)


def _reprovision(config: Config, out: TextIO) -> provision.Recap:
    from image.errors import ImageError

    ctx = Context(config, config.load_profile(), out=out)
    if not (ctx.rootfs / "etc" / "os-release").exists():
        raise ImageError(f"no rootfs in {ctx.workspace}", hint="run `ctimage build` first")
    deny_service_starts(ctx.rootfs)
    try:
        with mounted(ctx.rootfs):
            return provision.run_playbook(ctx, ctx.rootfs)
    finally:
        clean.allow_service_starts(ctx.rootfs)
