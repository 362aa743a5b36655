"""Stage 3: our own packages (.deb, installed with apt in the chroot) and the
default configuration rendered by `ctsys --root ROOTFS apply`."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from image.chroot import mounted
from image.context import Context
from image.debs import build_debs
from image.errors import ImageError
from image.run import run


def ctsys_command() -> list[str]:
    beside = Path(sys.executable).parent / "ctsys"
    return [str(beside)] if beside.is_file() else [sys.executable, "-m", "ctsys.cli"]


def install_debs(ctx: Context, debs: list[Path]) -> None:
    inbox = ctx.rootfs / "tmp" / "ct-debs"
    inbox.mkdir(parents=True, exist_ok=True)
    for deb in debs:
        shutil.copy(deb, inbox / deb.name)
    try:
        with mounted(ctx.rootfs):
            run(["chroot", ctx.rootfs, "apt-get", "install", "-y", "--no-install-recommends",
                 *[f"/tmp/ct-debs/{d.name}" for d in debs]],
                env={"DEBIAN_FRONTEND": "noninteractive"}, log_file=ctx.log_file)
    finally:
        shutil.rmtree(inbox, ignore_errors=True)


def render_defaults(ctx: Context) -> bool:
    """Write the default appliance document and the files rendered from it.
    Returns False while ctsys has no `apply` command yet."""
    argv = [*ctsys_command(), "--root", str(ctx.rootfs), "apply"]
    probe = run([*ctsys_command(), "apply", "--help"], check=False)
    if probe.returncode != 0:
        ctx.progress("ctsys has no `apply` command yet: default configuration not rendered")
        return False
    run(argv, log_file=ctx.log_file)
    return True


# Byte-compiled once at build time: a squashfs has no writable __pycache__, so without them
# every Python unit would compile its imports again at every boot (into the RAM overlay).
# checked-hash: valid whatever the files' times (mksquashfs sets them all to SOURCE_DATE_EPOCH),
# and a source changed later (an upgrade, a hand edit) is noticed and compiled anew.
PYTHON_TREES = ("/usr/lib/python3", "/usr/lib/python3.11", "/opt/ct-server")


def compile_python(ctx: Context) -> None:
    trees = [t for t in PYTHON_TREES if (ctx.rootfs / t.lstrip("/")).is_dir()]
    with mounted(ctx.rootfs):
        run(["chroot", ctx.rootfs, "env", "PYTHONHASHSEED=0", ctx.profile.python, "-m", "compileall",
             "-q", "-f", "-j", "0", "--invalidation-mode", "checked-hash", "-x", "/tests?/", *trees],
            log_file=ctx.log_file, timeout=900)


# What the units and the admin run: a package without them must not ship.
COMMANDS = ("usr/bin/ctsys", "usr/bin/ct-recorder")


def missing_commands(rootfs: Path) -> list[str]:
    """Our commands that do not resolve to a file inside the rootfs."""
    missing = []
    for name in COMMANDS:
        path = rootfs / name
        target = Path(os.readlink(path)) if path.is_symlink() else None
        if target is not None and target.is_absolute():
            path = rootfs / target.relative_to("/")
        if not path.is_file():
            missing.append("/" + name)
    return missing


def run_stage(ctx: Context) -> str:
    debs = build_debs(ctx)
    install_debs(ctx, debs)
    missing = missing_commands(ctx.rootfs)
    if missing:
        raise ImageError(f"{', '.join(missing)} missing after installing {debs[0].name} "
                         "(no entry point in its venv)",
                         hint=f"remove {debs[0].parent} from the package cache and build again")
    rendered = render_defaults(ctx)
    compile_python(ctx)
    return ", ".join(d.name for d in debs) + ("" if rendered else "; no ctsys defaults")
