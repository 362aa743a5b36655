"""Our own .deb package: `ct-server` carries ctsys and ct-recorder.

Both run from a private virtual environment under /opt/ct-server, built with
the target's interpreter (/usr/bin/python3, Debian 12's 3.11) and the exact
pinned dependencies of pyproject.toml: Debian 12 ships older click, psutil
and pyroute2 than the code is tested with. The package is installed with apt
in the chroot, so an appliance can later be updated with apt.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

from image import REPO_ROOT
from image.config import _pyproject_version
from image.context import Context
from image.run import run

PACKAGE = "ct-server"
PACKAGING_DIR = REPO_ROOT / "packaging" / PACKAGE
PREFIX = Path("/opt/ct-server")
TARGET_PYTHON = "/usr/bin/python3"
# What the package is built from: a change here builds a new package.
SOURCES = ("pyproject.toml", "ctrun", "ctsys", "recorder", "image", "packaging/ct-server")
COMMANDS = ("ctsys", "ct-recorder")
RECORDER_UNIT = REPO_ROOT / "recorder" / "data" / "ct-recorder.service"


def source_hash(root: Path = REPO_ROOT) -> str:
    digest = hashlib.sha256()
    for top in SOURCES:
        path = root / top
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for f in files:
            if "__pycache__" in f.parts or f.suffix == ".pyc":
                continue
            digest.update(str(f.relative_to(root)).encode() + b"\0")
            digest.update(f.read_bytes() + b"\0")
    digest.update(Path(TARGET_PYTHON).resolve().name.encode())
    return digest.hexdigest()[:12]


def deb_version(src_hash: str) -> str:
    return f"{_pyproject_version()}+src{src_hash}"


def build_debs(ctx: Context) -> list[Path]:
    """Return the package files, from the cache when the sources are unchanged."""
    src_hash = source_hash()
    entry = ctx.config.cache_dir / "debs" / src_hash
    deb = entry / f"{PACKAGE}_{deb_version(src_hash)}_amd64.deb"
    if deb.is_file():
        return [deb]
    stage = ctx.workspace / f"deb-{PACKAGE}"
    if stage.exists():
        shutil.rmtree(stage)
    venv = stage / PREFIX.relative_to("/")
    _build_venv(ctx, venv)
    _add_links_and_units(stage)
    _write_control(stage, deb_version(src_hash))
    _clamp_times(stage, ctx.config.source_date_epoch)
    entry.mkdir(parents=True, exist_ok=True)
    tmp = deb.with_suffix(".tmp")
    run(["dpkg-deb", "--root-owner-group", "-Zgzip", "-z1", "--build", stage, tmp],
        env=ctx.epoch_env, log_file=ctx.log_file)
    tmp.rename(deb)
    shutil.rmtree(stage)
    return [deb]


def _build_venv(ctx: Context, venv: Path) -> None:
    wheels = ctx.workspace / "wheels"
    shutil.rmtree(wheels, ignore_errors=True)
    pip_cache = ctx.config.cache_dir / "pip"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--cache-dir", str(pip_cache)]
    run([*pip, "wheel", "--no-deps", "--wheel-dir", wheels, REPO_ROOT], log_file=ctx.log_file)
    run([TARGET_PYTHON, "-m", "venv", "--without-pip", venv], log_file=ctx.log_file)
    wheel = next(wheels.glob("*.whl"))
    # without $PYTHONPATH: a source tree on it (PYTHONPATH=. pytest ...) carries
    # ct_server.egg-info, pip then takes ct-server as installed and leaves the
    # venv without ctsys, the recorder and their commands
    run(["env", "-u", "PYTHONPATH", *pip, "--python", venv / "bin" / "python3", "install",
         "--no-compile", wheel], log_file=ctx.log_file)
    _relocate(venv)


def _relocate(venv: Path) -> None:
    """The venv was built under the staging dir; make its paths say /opt/ct-server."""
    staged = str(venv).encode()
    for path in (venv / "bin").iterdir():
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        if staged in data:
            path.write_bytes(data.replace(staged, str(PREFIX).encode()))
    # pip records where the wheel came from: a build-host path, not wanted
    for record in venv.glob("lib/python3*/site-packages/*.dist-info/direct_url.json"):
        record.unlink()
    for cache in venv.rglob("__pycache__"):
        shutil.rmtree(cache)


def _add_links_and_units(stage: Path) -> None:
    usr_bin = stage / "usr" / "bin"
    usr_bin.mkdir(parents=True)
    for command in COMMANDS:
        (usr_bin / command).symlink_to(PREFIX / "bin" / command)
    if RECORDER_UNIT.is_file():
        units = stage / "lib" / "systemd" / "system"
        units.mkdir(parents=True)
        shutil.copy(RECORDER_UNIT, units / RECORDER_UNIT.name)


def _write_control(stage: Path, version: str) -> None:
    debian = stage / "DEBIAN"
    debian.mkdir()
    size_kib = sum(p.stat().st_size for p in stage.rglob("*") if p.is_file()) // 1024
    control = (PACKAGING_DIR / "control.in").read_text().format(version=version)
    (debian / "control").write_text(control.rstrip("\n") + f"\nInstalled-Size: {size_kib}\n")
    for script in ("postinst", "prerm", "postrm"):
        shutil.copy(PACKAGING_DIR / script, debian / script)
        (debian / script).chmod(0o755)


def _clamp_times(stage: Path, epoch: int | None) -> None:
    if epoch is None:
        return
    for path in [stage, *stage.rglob("*")]:
        os.utime(path, (epoch, epoch), follow_symlinks=False)
