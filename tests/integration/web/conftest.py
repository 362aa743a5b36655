"""The statistics page's test bed: an appliance root with two real data volumes, the API, Chromium.

- `appliance_root`: a --root tree where `ctsys disk format` made two ext4 data volumes on loop
  devices (ctdata-1, ctdata-2), with recordings of three cameras, a protected range in the real
  recorder index and a fill threshold ctdata-1 is over (`ctsys storage fill --check` recorded
  the alert). Unmounted and detached at the end, even on failure.
- `api`: `fake_api.FakeApi` on 127.0.0.1 serving ctsys/web/static and the three endpoints.
- `browser`: headless Chromium over the DevTools protocol, killed by PID at the end.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.integration.web.browser import Browser
from tests.integration.web.fake_api import FakeApi
from tests.tools import require

STATIC = Path(__file__).resolve().parents[3] / "ctsys/web/static"
TOKEN = "ct-test-token-5f1e0c2a"
VOLUME_MIB = 1024 + 64  # just over ctsys's 1 GiB minimum (sparse files: no real disk space)
MIB = 1 << 20


def ctsys(root: Path, *args: str) -> str:
    from ctsys.cli import cli

    result = CliRunner().invoke(cli, ["--root", str(root), *args])
    assert result.exit_code == 0, f"ctsys {' '.join(args)}: {result.output}"
    return result.output


def _mounts_of(device: str) -> list[str]:
    found = []
    for line in Path("/proc/self/mounts").read_text().splitlines():
        source, target = line.split()[:2]
        if source == device or source.startswith(device + "p"):
            found.append(target.replace("\\040", " "))
    return found


def _write(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))


@pytest.fixture(scope="module")
def appliance_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    require("losetup", "sgdisk", "partprobe", "wipefs", "mkfs.ext4", "blkid", "lsblk", "mount", "fallocate")
    base = tmp_path_factory.mktemp("web-appliance")
    root = base / "root"
    devices: list[str] = []
    try:
        for n in (1, 2):
            image = base / f"disk{n}.img"
            with open(image, "wb") as f:
                f.truncate(VOLUME_MIB * MIB)
            device = subprocess.run(
                ["losetup", "--find", "--show", "--partscan", str(image)],
                check=True, capture_output=True, text=True, timeout=30,
            ).stdout.strip()
            devices.append(device)
            ctsys(root, "disk", "format", device, "--id", str(n))
        day = "2026-03-14"
        v1, v2 = root / "srv/ctdata/1/recordings", root / "srv/ctdata/2/recordings"
        _write(v1 / f"entree/{day}/main-0800.mkv", 24 * MIB)
        _write(v1 / f"entree/{day}/main-0900.mkv", 16 * MIB)
        _write(v1 / f"parking/{day}/main-0800.mkv", 20 * MIB)
        _write(v2 / f"quai/{day}/main-0800.mkv", 30 * MIB)
        # ctdata-1 over the threshold: a large recording allocated, not written
        subprocess.run(["fallocate", "-l", "640M", str(v1 / f"entree/{day}/main-1000.mkv")], check=True, timeout=60)
        # the recorder's index: the 08:00 segment of entree is under a protected range
        from recorder.index import Index

        index_path = root / "var/lib/ct-recorder/index.sqlite"
        index_path.parent.mkdir(parents=True, exist_ok=True)
        index = Index(index_path)
        t0 = time.mktime(time.strptime(f"{day} 08:00", "%Y-%m-%d %H:%M"))
        for camera, name, start, size in [
            ("entree", "main-0800.mkv", t0, 24 * MIB),
            ("entree", "main-0900.mkv", t0 + 3600, 16 * MIB),
            ("parking", "main-0800.mkv", t0, 20 * MIB),
        ]:
            index.upsert_segment(
                camera=camera, stream="main", kind="continuous", volume="ctdata-1",
                path=f"/srv/ctdata/1/recordings/{camera}/{day}/{name}", start=start, end=start + 3600,
                size=size, keyframes=[], complete=True,
            )
        index.protect("entree", t0 + 600, t0 + 1200, "incident")
        index.close()
        ctsys(root, "config", "set", "storage.fill_alert_percent", "60", "--no-apply")
        ctsys(root, "storage", "fill", "--check")  # records the disk-fill alert of ctdata-1
        yield root
    finally:
        for device in reversed(devices):
            for target in sorted(_mounts_of(device), key=len, reverse=True):
                subprocess.run(["umount", "-l", target], check=False, timeout=60)
            subprocess.run(["losetup", "-d", device], check=False, timeout=60)


@pytest.fixture(scope="module")
def api(appliance_root: Path) -> Iterator[FakeApi]:
    server = FakeApi(appliance_root, STATIC, TOKEN).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    require("chromium")
    b = Browser.launch(tmp_path / "chromium-profile")
    try:
        yield b
    finally:
        b.close()
