"""Format, mount, unmount, refusals, marker and adoption on real loop devices."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ctsys.cli import cli

pytestmark = pytest.mark.integration

GIB = 1024 + 64  # MiB: just over the 1 GiB minimum (sparse: costs no disk space)


def ctsys(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--root", str(root), *args])


def blkid(device: str) -> dict[str, str]:
    out = subprocess.run(["blkid", "-p", "-o", "export", device], capture_output=True, text=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def document(root: Path) -> dict:
    import yaml

    return yaml.safe_load((root / "etc/ctsys/appliance.yaml").read_text())


def test_format_makes_a_marked_mounted_volume_with_a_nofail_unit(tmp_path: Path, loop_device) -> None:
    root = tmp_path / "root"
    disk = loop_device(GIB)
    result = ctsys(root, "disk", "format", disk)
    assert result.exit_code == 0, result.output
    assert "[3/6] creating ext4" in result.output  # progress is shown
    part = blkid(disk + "p1")
    assert part["TYPE"] == "ext4" and part["LABEL"] == "ctdata-1" and part["PART_ENTRY_NAME"] == "ctdata-1"
    mountpoint = root / "srv/ctdata/1"
    assert os.path.ismount(mountpoint)
    marker = json.loads((mountpoint / ".ctdata/volume.json").read_text())
    assert marker["volume_id"] == 1 and marker["fs_uuid"] == part["UUID"]
    unit = (root / "etc/systemd/system/srv-ctdata-1.mount").read_text()
    assert f"What=/dev/disk/by-uuid/{part['UUID']}" in unit and "Options=nofail,noatime" in unit
    wants = root / "etc/systemd/system/local-fs.target.wants/srv-ctdata-1.mount"
    assert os.readlink(wants) == "/etc/systemd/system/srv-ctdata-1.mount"
    assert document(root)["storage"]["volumes"][0]["uuid"] == part["UUID"]

    # unmount: not mounted, not enabled at boot; mount brings both back
    result = ctsys(root, "disk", "unmount", "1")
    assert result.exit_code == 0, result.output
    assert not os.path.ismount(mountpoint) and not wants.is_symlink()
    assert document(root)["storage"]["volumes"][0]["enabled"] is False
    result = ctsys(root, "disk", "mount", "ctdata-1")
    assert result.exit_code == 0, result.output
    assert os.path.ismount(mountpoint) and wants.is_symlink()


def test_every_refusal_leaves_the_disk_untouched(tmp_path: Path, loop_device) -> None:
    root = tmp_path / "root"
    small = loop_device(512)
    result = ctsys(root, "disk", "format", small)
    assert result.exit_code == 1
    assert "too small" in result.output and "at least 1.07 GB" in result.output
    assert blkid(small) == {}

    disk = loop_device(GIB)
    assert ctsys(root, "disk", "format", disk).exit_code == 0
    before = blkid(disk + "p1")
    # mounted, labelled ctdata-1, with a marker
    result = ctsys(root, "disk", "format", disk, "--id", "2")
    assert result.exit_code == 1
    assert "has a mounted filesystem" in result.output and "holds the data volume ctdata-1" in result.output
    assert "--force --serial" in result.output
    # --force with the wrong serial
    result = ctsys(root, "disk", "format", disk, "--id", "2", "--force", "--serial", "WRONG")
    assert result.exit_code == 1 and "is not the serial number" in result.output
    assert blkid(disk + "p1")["UUID"] == before["UUID"]

    # unmounted: the marker is found by looking inside (read-only)
    assert ctsys(root, "disk", "unmount", "1").exit_code == 0
    result = ctsys(root, "disk", "format", disk, "--id", "2")
    assert result.exit_code == 1 and "carries a ctdata marker" in result.output
    assert blkid(disk + "p1")["UUID"] == before["UUID"]

    result = ctsys(root, "disk", "format", "/dev/loop-none")
    assert result.exit_code == 1 and "unknown disk" in result.output

    # forced with its serial (a loop device's name): the volume is replaced and keeps its number
    result = ctsys(root, "disk", "format", disk, "--fs", "xfs", "--force", "--serial", Path(disk).name)
    assert result.exit_code == 0, result.output
    (volume,) = document(root)["storage"]["volumes"]
    assert volume["id"] == 1 and volume["filesystem"] == "xfs" and volume["uuid"] != before["UUID"]
    assert os.path.ismount(root / "srv/ctdata/1")


def test_recordings_on_a_foreign_filesystem_are_refused_then_forced_with_serial(tmp_path: Path, loop_device) -> None:
    root = tmp_path / "root"
    disk = loop_device(GIB)
    subprocess.run(["mkfs.ext4", "-q", "-F", disk], check=True)
    scratch = tmp_path / "m"
    scratch.mkdir()
    subprocess.run(["mount", disk, str(scratch)], check=True)
    (scratch / "recordings/cam1").mkdir(parents=True)
    (scratch / "recordings/cam1/a.mkv").write_bytes(b"x" * 100)
    subprocess.run(["umount", str(scratch)], check=True)

    result = ctsys(root, "disk", "format", disk, "--fs", "xfs")
    assert result.exit_code == 1 and "holds recordings" in result.output
    name = Path(disk).name  # loop devices have no serial: their name stands in
    result = ctsys(root, "disk", "format", disk, "--fs", "xfs", "--force", "--serial", name)
    assert result.exit_code == 0, result.output
    assert blkid(disk + "p1")["TYPE"] == "xfs"
    assert os.path.ismount(root / "srv/ctdata/1")


def test_unmount_is_refused_while_a_process_writes_there(tmp_path: Path, loop_device) -> None:
    root = tmp_path / "root"
    assert ctsys(root, "disk", "format", loop_device(GIB)).exit_code == 0
    mountpoint = root / "srv/ctdata/1"
    with open(mountpoint / "recordings/seg.mkv", "wb") as f:
        f.write(b"x")
        result = ctsys(root, "disk", "unmount", "1")
        assert result.exit_code == 1
        assert f"(pid {os.getpid()})" in result.output and "--move-cameras" in result.output
        assert os.path.ismount(mountpoint)
    assert ctsys(root, "disk", "unmount", "1").exit_code == 0


def test_fill_reports_recordings_per_camera_and_raises_the_threshold_alert(tmp_path: Path, loop_device) -> None:
    root = tmp_path / "root"
    assert ctsys(root, "disk", "format", loop_device(GIB)).exit_code == 0
    camera = root / "srv/ctdata/1/recordings/cam7/2026-11-28"
    camera.mkdir(parents=True)
    (camera / "a.mkv").write_bytes(os.urandom(4 << 20))
    result = ctsys(root, "storage", "fill", "--json")
    assert result.exit_code == 0, result.output
    volume = json.loads(result.output)["volumes"][0]
    assert volume["mounted"] and volume["recordings"] >= 4 << 20
    assert volume["cameras"]["cam7"] >= 4 << 20
    # a threshold below the fill raises one alert, and only once
    assert ctsys(root, "config", "set", "storage.fill_alert_percent", "50", "--no-apply").exit_code == 0
    big = root / "srv/ctdata/1/recordings/cam7/big.bin"
    subprocess.run(["fallocate", "-l", "600M", str(big)], check=True)
    assert ctsys(root, "storage", "fill", "--check").exit_code == 0
    assert ctsys(root, "storage", "fill", "--check").exit_code == 0
    alerts = [json.loads(line) for line in (root / "var/log/ctsys/alerts.jsonl").read_text().splitlines()]
    assert [(a["kind"], a["state"]) for a in alerts] == [("disk-fill", "raised")]
    big.unlink()
    assert ctsys(root, "storage", "fill", "--check").exit_code == 0
    alerts = [json.loads(line) for line in (root / "var/log/ctsys/alerts.jsonl").read_text().splitlines()]
    assert [a["state"] for a in alerts] == ["raised", "cleared"]


def test_reinstall_adopts_the_volume_and_restores_the_replicated_index(tmp_path: Path, loop_device) -> None:
    old, new = tmp_path / "old-system", tmp_path / "new-system"
    disk = loop_device(GIB)
    assert ctsys(old, "disk", "format", disk, "--id", "3").exit_code == 0
    index = old / "var/lib/ct-recorder/index.sqlite"
    index.parent.mkdir(parents=True)
    db = sqlite3.connect(index)
    db.execute("CREATE TABLE segments (path TEXT)")
    db.execute("INSERT INTO segments VALUES ('/srv/ctdata/3/cam1/a.mkv')")
    db.commit()
    db.close()
    result = ctsys(old, "storage", "replicate")
    assert result.exit_code == 0, result.output
    assert (old / "srv/ctdata/3/.ctdata/index/index.sqlite").exists()
    assert ctsys(old, "disk", "unmount", "3").exit_code == 0

    # the "reinstalled" system: no document, no index
    result = CliRunner(mix_stderr=False).invoke(
        cli, ["--root", str(new), "storage", "adopt", "--loop", "--only", disk, "--first-boot", "--json"]
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)  # nothing but the JSON on stdout
    assert [(a["volume_id"], a["status"]) for a in report["adopted"]] == [(3, "added")]
    assert os.path.ismount(new / "srv/ctdata/3")
    restored = sqlite3.connect(new / "var/lib/ct-recorder/index.sqlite")
    assert restored.execute("SELECT path FROM segments").fetchall() == [("/srv/ctdata/3/cam1/a.mkv",)]
    restored.close()
    assert (new / "var/lib/ctsys/storage-adopted").exists()
    # adopting again finds it known, changes nothing
    result = ctsys(new, "storage", "adopt", "--loop", "--only", disk)
    assert result.exit_code == 0 and "ctdata-3 known" in result.output


def test_move_cameras_then_unmount_waits_for_the_writer_to_close(tmp_path: Path, loop_device) -> None:
    import threading
    import time

    root = tmp_path / "root"
    assert ctsys(root, "disk", "format", loop_device(GIB)).exit_code == 0
    assert ctsys(root, "disk", "format", loop_device(GIB)).exit_code == 0
    cameras = (
        "{volumes: [{name: v1, path: /srv/ctdata/1/recordings}, {name: v2, path: /srv/ctdata/2/recordings}],"
        " cameras: [{name: cam1, volume: v1, streams: {main: {url: 'rtsp://127.0.0.1:8554/cam1'}}}]}"
    )
    assert ctsys(root, "config", "set", "cameras", cameras, "--no-apply").exit_code == 0
    # a stand-in for the recorder: it closes its segment a moment after being told to move
    segment = open(root / "srv/ctdata/1/recordings/seg.mkv", "wb")  # noqa: SIM115
    closer = threading.Timer(2.0, segment.close)
    closer.start()
    try:
        started = time.monotonic()
        result = ctsys(root, "disk", "unmount", "1", "--move-cameras", "--to", "2")
        assert result.exit_code == 0, result.output
        assert "cameras cam1 moved to recorder volume v2" in result.output
        assert 1.5 < time.monotonic() - started < 30
    finally:
        closer.cancel()
        segment.close()
    assert not os.path.ismount(root / "srv/ctdata/1")
    assert document(root)["cameras"]["cameras"][0]["volume"] == "v2"
