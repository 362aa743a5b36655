"""After a reinstall, adoption gives the recorder back its configuration and its recordings.

A data volume on a loop device holds a real segment recorded five days ago
(outside the recorder's two-day crash recovery) and, in the first case, the
replicated cameras section; a fresh --root adopts it and the segment is indexed.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from ctsys.cli import cli
from ctsys.config.store import ConfigStore
from recorder.layout import segment_path
from tests.tools import require

pytestmark = pytest.mark.integration

GIB = 1024 + 64  # MiB: just over the 1 GiB minimum (sparse)
FIVE_DAYS_AGO = time.time() - 5 * 86400
CAMERAS = (
    "{volumes: [{name: data1, path: /srv/ctdata/1/recordings, require_mount: false}],"
    " cameras: [{name: gate, volume: data1, retention_days: 30,"
    " streams: {main: {url: 'rtsp://127.0.0.1:8554/gate', username: op, password: secret}}}]}"
)


def ctsys(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--root", str(root), *args])


def json_of(root: Path, *args: str) -> Any:
    """`ctsys ... --json`: stdout holds the JSON document and nothing else (progress goes to stderr)."""
    result = CliRunner(mix_stderr=False).invoke(cli, ["--root", str(root), *args])
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def record_segment(recordings: Path) -> Path:
    """A real 3 s H.264 Matroska segment of camera gate, named and dated as the recorder does."""
    require("ffmpeg")
    path = segment_path(recordings, "gate", "main", "continuous", FIVE_DAYS_AGO)
    path.parent.mkdir(parents=True)
    source = ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "3"]
    h264 = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p"]
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", *source, *h264, str(path)], check=True, timeout=120)
    os.utime(path, (FIVE_DAYS_AGO + 3, FIVE_DAYS_AGO + 3))
    return path


def old_system_volume(root: Path, disk: str, cameras: str | None) -> Path:
    """Format the volume on the old system, record onto it, replicate, unmount; the segment's path."""
    assert ctsys(root, "disk", "format", disk, "--id", "1").exit_code == 0
    if cameras:
        assert ctsys(root, "config", "set", "cameras", cameras, "--no-apply").exit_code == 0
    segment = record_segment(root / "srv/ctdata/1/recordings")
    report = json_of(root, "storage", "replicate", "--json")
    assert report["index"]["present"] is False and report["errors"] == []  # the recorder never ran here
    assert len(report["cameras"]["copies"]) == (1 if cameras else 0)
    assert ctsys(root, "disk", "unmount", "1").exit_code == 0
    return segment.relative_to(root / "srv/ctdata/1")


def listed(root: Path) -> list[dict[str, Any]]:
    result = ctsys(root, "record", "list", "--json")
    assert result.exit_code == 0, result.output
    return list(json.loads(result.output))


def test_adopt_restores_the_cameras_section_renumbered_and_indexes_an_old_segment(
    tmp_path: Path, loop_device: Callable[[int], str]
) -> None:
    old, new = tmp_path / "old-system", tmp_path / "new-system"
    disk = loop_device(GIB)
    segment = old_system_volume(old, disk, CAMERAS)
    copy = old / "srv/ctdata/1/.ctdata/index/cameras.yaml"
    assert not copy.exists()  # unmounted: the copy is on the disk only

    # The reinstalled system already has a data volume 1 (another disk): ours becomes ctdata-2.
    other = f"{{id: 1, uuid: {uuid.uuid4()}}}"
    assert ctsys(new, "config", "set", "storage.volumes", f"[{other}]", "--no-apply").exit_code == 0

    dry = json_of(new, "storage", "adopt", "--loop", "--only", disk, "--dry-run", "--json")
    assert [(a["volume_id"], a["status"]) for a in dry["adopted"]] == [(2, "renumbered")]
    assert dry["cameras"]["status"] == "restored" and dry["reindex"]["volumes"] == ["data1"]
    assert dry["reindex"]["done"] is False
    assert not os.path.ismount(new / "srv/ctdata/2")
    assert ConfigStore(new).load().cameras.volumes == []

    report = json_of(new, "storage", "adopt", "--loop", "--only", disk, "--first-boot", "--json")
    source = "/srv/ctdata/2/.ctdata/index/cameras.yaml"
    assert report["cameras"]["status"] == "restored" and report["cameras"]["source"] == source
    assert report["cameras"]["moved"] == [
        {"volume": "data1", "old": "/srv/ctdata/1/recordings", "new": "/srv/ctdata/2/recordings"}
    ]
    assert report["index_restored_from"] is None
    assert (report["reindex"]["done"], report["reindex"]["indexed"]) == (True, 1)
    assert os.path.ismount(new / "srv/ctdata/2")

    doc = ConfigStore(new).load()
    assert [(v.name, v.path) for v in doc.cameras.volumes] == [("data1", "/srv/ctdata/2/recordings")]
    assert doc.cameras.cameras[0].streams["main"].password == "secret"
    assert ConfigStore(new).revisions()[-1].summary == f"storage adopt: cameras section restored from {source}"

    rows = listed(new)
    assert [(r["camera"], r["path"], r["complete"]) for r in rows] == [
        ("gate", str(new / "srv/ctdata/2" / segment), True)
    ]
    assert rows[0]["start"] == pytest.approx(FIVE_DAYS_AGO, abs=0.001)
    assert 2.5 < rows[0]["end"] - rows[0]["start"] < 3.5

    # Adopting again: the document has cameras now, and is left alone.
    result = ctsys(new, "storage", "adopt", "--loop", "--only", disk)
    assert result.exit_code == 0, result.output
    assert "its cameras section is kept" in result.output
    # The new system replicates its own (restored) section from now on.
    assert json_of(new, "storage", "replicate", "--json")["errors"] == []
    written = new / "srv/ctdata/2/.ctdata/index/cameras.yaml"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert yaml.safe_load(written.read_text())["volume"]["mountpoint"] == "/srv/ctdata/2"


def test_adopt_without_a_copy_adds_a_recorder_volume_for_the_segments(
    tmp_path: Path, loop_device: Callable[[int], str]
) -> None:
    old, new = tmp_path / "old-system", tmp_path / "new-system"
    disk = loop_device(GIB)
    segment = old_system_volume(old, disk, None)

    result = ctsys(new, "storage", "adopt", "--loop", "--only", disk, "--first-boot")
    assert result.exit_code == 0, result.output
    assert "recorder volume ctdata-1 added for the recordings in /srv/ctdata/1/recordings" in result.output
    assert "recordings indexed from the files on ctdata-1: 1 segment, 0 unreadable" in result.output

    doc = ConfigStore(new).load()
    assert [(v.name, v.path, v.require_mount) for v in doc.cameras.volumes] == [
        ("ctdata-1", "/srv/ctdata/1/recordings", False)
    ]
    assert doc.cameras.cameras == []
    assert [(r["camera"], r["volume"], r["path"]) for r in listed(new)] == [
        ("gate", "ctdata-1", str(new / "srv/ctdata/1" / segment))
    ]
