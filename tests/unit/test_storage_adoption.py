"""The adoption workflow as a function (ctsys.storage.adoption.adopt), with only the run() seam faked.

The data volume is "mounted" where the adopting system will mount it (a
directory under the test root named by lsblk), so what the scan and the
re-read after mounting see is the same tree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ctsys.cli import Obj
from ctsys.config.document import validate
from ctsys.config.store import ConfigStore, Revision
from ctsys.storage.adoption import adopt
from ctsys.storage.cameras_copy import copy_text
from ctsys.storage.marker import INDEX_DIR, RECORDINGS_DIR, new_marker, write_marker
from tests.conftest import FakeRun

pytestmark = pytest.mark.unit

UUID = "5c1a3f2e-8d7b-4f60-9a1e-2b3c4d5e6f70"
CAMERAS: dict[str, Any] = {
    "volumes": [{"name": "v1", "path": "/srv/ctdata/1/recordings", "require_mount": False}],
    "cameras": [{"name": "gate", "volume": "v1", "streams": {"main": {"url": "rtsp://10.0.0.5/h264"}}}],
}


def lsblk(mountpoint: Path) -> str:
    part = {
        "name": "vdb1",
        "kname": "vdb1",
        "path": "/dev/vdb1",
        "type": "part",
        "size": 10**10,
        "fstype": "ext4",
        "uuid": UUID,
        "mountpoints": [str(mountpoint)],
        "pkname": "vdb",
    }
    disk = {
        "name": "vdb",
        "kname": "vdb",
        "path": "/dev/vdb",
        "type": "disk",
        "size": 10**10,
        "rota": True,
        "tran": "virtio",
        "rm": False,
        "ro": False,
        "pttype": "gpt",
        "mountpoints": [None],
        "children": [part],
    }
    return json.dumps({"blockdevices": [disk]})


@pytest.fixture
def volume(tmp_path: Path, fake_run: FakeRun) -> Path:
    """Data volume ctdata-1 of an old system: marker, cameras copy, index copy, seen at /dev/vdb1."""
    mountpoint = tmp_path / "srv/ctdata/1"
    write_marker(mountpoint, new_marker(1, UUID, "ext4", "SER1"))
    old = validate({"storage": {"volumes": [{"id": 1, "uuid": UUID}]}, "cameras": CAMERAS})
    revision = Revision(7, "2026-11-28T22:00:00Z", "root", "console", "ctsys camera add gate", "cameras.cameras")
    volume = old.storage.volume(1)
    assert volume is not None
    (mountpoint / INDEX_DIR / "cameras.yaml").write_text(copy_text(old, revision, volume, "2026-11-28T23:00:00Z"))
    (mountpoint / INDEX_DIR / "index.sqlite").write_bytes(b"an index copy")
    (mountpoint / RECORDINGS_DIR).mkdir(exist_ok=True)
    fake_run.on("lsblk", stdout=lsblk(mountpoint))
    fake_run.on("blkid", "-p", "-o", "export", "/dev/vdb1", stdout=f"DEVNAME=/dev/vdb1\nTYPE=ext4\nUUID={UUID}\n")
    return mountpoint


def test_adopt_adds_mounts_and_restores_the_index_and_the_cameras_section(
    tmp_path: Path, volume: Path, fake_run: FakeRun
) -> None:
    lines: list[str] = []
    result = adopt(Obj(str(tmp_path), 0), only=("vdb",), progress=lambda line, err=False: lines.append(line))
    assert [(a.volume_id, a.status, a.device) for a in result.adopted] == [(1, "added", "/dev/vdb1")]
    assert result.index_restored_from == str(volume / INDEX_DIR / "index.sqlite")
    assert (tmp_path / "var/lib/ct-recorder/index.sqlite").read_bytes() == b"an index copy"
    assert result.cameras.status == "restored" and result.cameras.revision == 7
    assert result.reindex is None  # the index copy knows the recordings of the restored volume
    doc = ConfigStore(tmp_path).load()
    assert [(v.id, v.uuid) for v in doc.storage.volumes] == [(1, UUID)]
    assert [c.name for c in doc.cameras.cameras] == ["gate"]
    assert ConfigStore(tmp_path).revisions()[-1].summary.startswith("storage adopt: cameras section restored")
    assert any(c.startswith("mount ") and c.endswith(str(volume)) for c in fake_run.commands())
    assert "ctdata-1 mounted at /srv/ctdata/1" in lines
    assert not (tmp_path / "var/lib/ctsys/storage-adopted").exists()  # only at first boot


def test_a_dry_run_says_what_would_be_done_and_changes_nothing(tmp_path: Path, volume: Path, fake_run: FakeRun) -> None:
    result = adopt(Obj(str(tmp_path), 0), dry_run=True, first_boot=True, only=("vdb",))
    assert result.dry_run and [a.status for a in result.adopted] == ["added"]
    assert result.index_restored_from == str(volume / INDEX_DIR / "index.sqlite")
    assert result.cameras.status == "restored"
    assert not ConfigStore(tmp_path).exists()
    assert not (tmp_path / "var/lib/ct-recorder/index.sqlite").exists()
    assert not (tmp_path / "var/lib/ctsys/storage-adopted").exists()
    assert not [c for c in fake_run.commands() if c.startswith("mount ")]


def test_without_a_copy_the_segments_get_a_volume_and_are_indexed_and_first_boot_leaves_its_stamp(
    tmp_path: Path, volume: Path
) -> None:
    (volume / INDEX_DIR / "cameras.yaml").unlink()
    (volume / INDEX_DIR / "index.sqlite").unlink()
    day = volume / RECORDINGS_DIR / "gate/2026-11-28"
    day.mkdir(parents=True)
    (day / "gate_20261128T080000.000Z_main_continuous.mkv").write_bytes(b"not a real segment")
    result = adopt(Obj(str(tmp_path), 0), first_boot=True, only=("vdb",))
    assert result.index_restored_from is None
    assert result.cameras.status == "volumes-added"
    assert [(a.name, a.path) for a in result.cameras.added] == [("ctdata-1", "/srv/ctdata/1/recordings")]
    assert result.reindex is not None and result.reindex.done and result.reindex.volumes == ["ctdata-1"]
    assert result.reindex.unreadable == [str(day / "gate_20261128T080000.000Z_main_continuous.mkv")]
    assert (tmp_path / "var/lib/ctsys/storage-adopted").exists()
