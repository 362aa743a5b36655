"""README's main command, run as a newcomer would on a fresh Debian 12 machine.

The CI host holds every tool the other tests installed (sshd, chronyd, logrotate...), so a
build that calls one of them on the host would pass here and fail for a newcomer. This test
runs `scripts/build-and-boot.sh --build-only` from a copy of the repository, with a fresh
venv, in a view of this machine where only the commands of a minimal Debian 12 and of the
packages the script installs are visible (tests/system/newcomer.py). The bootstrap cache is
shared with the other builds, so it costs a warm build.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.system.newcomer import REPO
from tests.tools import require

pytestmark = pytest.mark.system

WORK = Path(os.environ.get("CT_NEWCOMER_WORK", "/var/tmp/ct-newcomer"))
NEWCOMER = ["/usr/bin/python3", "-m", "tests.system.newcomer", "--"]
BUILD_TIMEOUT = 40 * 60


def copy_checkout(dest: Path) -> None:
    """The files a clone would have (tracked, and new files not ignored), no venv, no .git."""
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = REPO / name
        if not source.is_file():
            continue  # deleted in the work tree, not yet committed
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def as_newcomer(*command: str, timeout: float = 60, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*NEWCOMER, *command], cwd=REPO, text=True, timeout=timeout,
                          check=False, **kwargs)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "repo").mkdir(parents=True)
    copy_checkout(WORK / "repo")
    yield WORK
    # keep the log, drop the multi-GB build tree and the ISO
    for path in (WORK / "repo", WORK / "out"):
        shutil.rmtree(path, ignore_errors=True)


def test_the_newcomer_view_hides_what_only_the_tests_installed() -> None:
    # this machine has sshd and chronyd (the test tiers installed them); a newcomer has not
    require("sshd", "chronyd")
    probe = as_newcomer("sh", "-c", "for t in sshd chronyd logrotate sudo mksquashfs python3; do command -v $t; done",
                        capture_output=True)
    found = probe.stdout.split()
    assert found == ["/usr/bin/mksquashfs", "/usr/bin/python3"], (probe.stdout, probe.stderr)


def test_the_main_command_builds_the_iso_with_only_what_it_installs(workdir: Path) -> None:
    log = workdir / "build-and-boot.log"
    env = {**os.environ, "CTIMAGE_OUTPUT_DIR": str(workdir / "out")}
    with log.open("w") as out:
        done = as_newcomer(str(workdir / "repo/scripts/build-and-boot.sh"), "--build-only",
                           timeout=BUILD_TIMEOUT, stdout=out, stderr=subprocess.STDOUT, env=env)
    text = log.read_text()
    assert done.returncode == 0, f"exit {done.returncode}, log {log}:\n" + text[-4000:]
    iso = Path(text.strip().splitlines()[-1])
    assert iso.is_file() and iso.parent == workdir / "out", text[-2000:]
    (report_path,) = (workdir / "out").glob("*.build.json")
    report = json.loads(report_path.read_text())
    assert Path(report["image"]) == iso
    # the packages stage rendered and checked the defaults (with the image's own tools)
    rootfs = workdir / "out" / report_path.name.replace(".build.json", ".work") / "rootfs"
    assert "ctsys" in (rootfs / "etc/ssh/sshd_config").read_text().lower()
    assert (rootfs / "etc/chrony/chrony.conf").is_file()
    assert not list((rootfs / "tmp").glob("ctsys-check-*")), "staged check files left in the image"
    # byte-compiled at build time, checked by hash (the squashfs has no writable __pycache__)
    sources = (rootfs / "opt/ct-server").rglob("ctsys/cli.py"), (rootfs / "usr/lib/python3.11").glob("json/decoder.py")
    for source in sources:
        (path,) = list(source)
        (pyc,) = (path.parent / "__pycache__").glob(path.stem + ".cpython-311.pyc")
        assert int.from_bytes(pyc.read_bytes()[4:8], "little") == 0b11, f"{pyc}: not a checked-hash pyc"
