"""Volumes logic without disks: refusals, adoption merge, fill alerts, replication, hotplug events, help."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctsys.config.document import validate
from ctsys.errors import CtsysError
from ctsys.storage.adopt import Found, merge, restore_index
from ctsys.storage.format import check_allowed, refusals
from ctsys.storage.hotplug import event_from_properties, journal_line
from ctsys.storage.inventory import parse_lsblk
from ctsys.storage.marker import VolumeMarker
from ctsys.storage.replicate import replicate
from ctsys.storage.volumes import VolumeUsage, check_thresholds

FIXTURES = Path(__file__).parent.parent / "fixtures" / "storage"
UUID1 = "5c1a3f2e-8d7b-4f60-9a1e-2b3c4d5e6f70"
UUID2 = "9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"

pytestmark = pytest.mark.unit


def disks() -> dict:
    return {d.name: d for d in parse_lsblk((FIXTURES / "lsblk-appliance-handmade.json").read_text())}


def test_system_disk_and_array_members_are_never_overridable() -> None:
    d = disks()
    for name, reason in (("sda", "holds the running system"), ("sdb", "active RAID array(s) md0")):
        found = refusals(d[name], look_inside=False)
        assert any(reason in r.reason and not r.overridable for r in found)
        with pytest.raises(CtsysError, match=re.escape(reason)):
            check_allowed(d[name], True, d[name].serial, "format", found)


def test_data_volume_needs_force_and_its_serial() -> None:
    nvme = disks()["nvme0n1"]
    found = refusals(nvme, look_inside=False)
    assert {r.reason for r in found} >= {
        "/dev/nvme0n1 has a mounted filesystem (/srv/ctdata/2)",
        "/dev/nvme0n1 holds the data volume ctdata-2",
    }
    with pytest.raises(CtsysError, match="--force --serial"):
        check_allowed(nvme, False, None, "format", found)
    with pytest.raises(CtsysError, match="is not the serial number"):
        check_allowed(nvme, True, "S649NL0T000000X", "format", found)
    check_allowed(nvme, True, "S649NL0T987654B", "format", found)


def test_free_disk_has_no_refusal() -> None:
    assert refusals(disks()["sde"], look_inside=False) == []


def marker(volume_id: int, uuid: str) -> VolumeMarker:
    return VolumeMarker(volume_id, uuid, "ext4", "2026-11-28T22:00:00Z", "ct-server")


def test_adoption_keeps_numbers_and_renumbers_a_clash() -> None:
    doc = validate({"storage": {"volumes": [{"id": 1, "uuid": UUID1, "enabled": False}]}})
    found = [
        Found("/dev/sdb1", UUID1, "ext4", marker(1, UUID1)),
        Found("/dev/sdc1", UUID2, "xfs", marker(1, UUID2)),
    ]
    new, adopted = merge(doc, found)
    assert [(a.volume_id, a.status, a.marker_id) for a in adopted] == [(1, "known", 1), (2, "renumbered", 1)]
    assert [(v.id, v.uuid, v.filesystem, v.enabled) for v in new.storage.volumes] == [
        (1, UUID1, "ext4", True),
        (2, UUID2, "xfs", True),
    ]


def test_index_is_restored_only_when_missing(tmp_path: Path) -> None:
    older, newer = tmp_path / "v1", tmp_path / "v2"
    for n, volume in enumerate((older, newer)):
        copy = volume / ".ctdata/index/index.sqlite"
        copy.parent.mkdir(parents=True)
        copy.write_text(volume.name)
        import os

        os.utime(copy, (1000 + n, 1000 + n))
    database = tmp_path / "sys/index.sqlite"
    assert restore_index(database, [str(older), str(newer)]) == newer / ".ctdata/index/index.sqlite"
    assert database.read_text() == "v2"
    assert restore_index(database, [str(older)]) is None  # present: left alone
    assert database.read_text() == "v2"


def test_fill_alert_is_raised_once_then_cleared(tmp_path: Path) -> None:
    full = VolumeUsage(1, "ctdata-1", "/srv/ctdata/1", UUID1, True, total=100, used=95, free=5)
    ok = VolumeUsage(2, "ctdata-2", "/srv/ctdata/2", UUID2, True, total=100, used=10, free=90)
    root = str(tmp_path)
    assert [(a.volume, a.raised) for a in check_thresholds([full, ok], 90, root)] == [("ctdata-1", True)]
    assert check_thresholds([full, ok], 90, root) == []
    full.used = 50
    assert [(a.volume, a.raised) for a in check_thresholds([full, ok], 90, root)] == [("ctdata-1", False)]
    alerts = [json.loads(x) for x in (tmp_path / "var/log/ctsys/alerts.jsonl").read_text().splitlines()]
    assert [(a["kind"], a["state"], a["subject"]) for a in alerts] == [
        ("disk-fill", "raised", "/srv/ctdata/1"),
        ("disk-fill", "cleared", "/srv/ctdata/1"),
    ]


def test_replication_copies_a_consistent_sqlite_to_each_volume(tmp_path: Path) -> None:
    database = tmp_path / "index.sqlite"
    db = sqlite3.connect(database)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE segments (path TEXT)")
    db.execute("INSERT INTO segments VALUES ('a.mkv')")
    db.commit()  # left open, in WAL mode, as the recorder keeps it
    volumes = [tmp_path / "v1", tmp_path / "v2"]
    for v in volumes:
        v.mkdir()
    copies, errors = replicate(database, [str(v) for v in volumes] + [str(tmp_path / "gone")])
    db.close()
    assert len(copies) == 3 and errors == []  # a missing mount point dir is created, not an error
    copy = sqlite3.connect(volumes[1] / ".ctdata/index/index.sqlite")
    assert copy.execute("SELECT path FROM segments").fetchall() == [("a.mkv",)]
    copy.close()


def test_replication_without_an_index_says_so(tmp_path: Path) -> None:
    with pytest.raises(CtsysError, match="no recordings index"):
        replicate(tmp_path / "none.sqlite", [str(tmp_path)])


def test_hotplug_records_disks_not_partitions() -> None:
    props = {
        "DEVTYPE": "disk",
        "SUBSYSTEM": "block",
        "DEVNAME": "/dev/sdc",
        "ID_MODEL": "WDC_WD40PURZ",
        "ID_SERIAL_SHORT": "WD-WX12",
        "ID_BUS": "ata",
    }
    event = event_from_properties("remove", props)
    assert event is not None
    assert journal_line(event) == "<4>disk removed: /dev/sdc (WDC_WD40PURZ serial WD-WX12) on ata"
    assert event_from_properties("add", {**props, "DEVTYPE": "partition"}) is None
    assert event_from_properties("add", {**props, "DEVNAME": "/dev/loop3"}) is None
    assert event_from_properties("change", props) is None


def test_every_storage_command_explains_itself() -> None:
    from ctsys.storage.cli import disk, raid, smart, storage

    runner = CliRunner()
    for group in (disk, raid, smart, storage):
        assert runner.invoke(group, ["--help"]).exit_code == 0
        for name, command in group.commands.items():  # type: ignore[attr-defined]
            result = runner.invoke(group, [name, "--help"])
            assert result.exit_code == 0, (group.name, name)
            assert command.help and len(command.help) > 30, f"{group.name} {name}: --help explains too little"


def test_protected_bytes_come_from_the_recorders_index(tmp_path: Path) -> None:
    from ctsys.storage.volumes import protected_bytes
    from recorder.index import SCHEMA

    index = tmp_path / "index.sqlite"
    db = sqlite3.connect(index)
    db.executescript(SCHEMA)
    rows = [
        ("cam1", "/srv/ctdata/1/recordings/cam1/a.mkv", 0, 60, 100),  # inside the protected range
        ("cam1", "/srv/ctdata/1/recordings/cam1/b.mkv", 600, 660, 200),  # outside
        ("cam2", "/srv/ctdata/1/recordings/cam2/a.mkv", 0, 60, 400),  # other camera
        ("cam1", "/srv/ctdata/2/recordings/cam1/c.mkv", 30, 90, 800),  # other volume
    ]
    db.executemany(
        "INSERT INTO segments (camera, stream, kind, volume, path, start, end, bytes) "
        "VALUES (?, 'main', 'continuous', 'v', ?, ?, ?, ?)",
        rows,
    )
    db.execute("INSERT INTO protected (camera, start, end, note) VALUES ('cam1', 10, 100, 'incident')")
    db.commit()
    db.close()
    assert protected_bytes(index, "/srv/ctdata/1") == 100
    assert protected_bytes(index, "/srv/ctdata/2") == 800
    assert protected_bytes(tmp_path / "missing.sqlite", "/srv/ctdata/1") is None


CAMERAS = {
    "volumes": [
        {"name": "v1", "path": "/srv/ctdata/1/recordings"},
        {"name": "v2", "path": "/srv/ctdata/2/recordings"},
    ],
    "cameras": [
        {"name": "cam1", "volume": "v1", "streams": {"main": {"url": "rtsp://127.0.0.1:8554/cam1"}}},
        {"name": "cam2", "volume": "v2", "streams": {"main": {"url": "rtsp://127.0.0.1:8554/cam2"}}},
    ],
}


def test_cameras_recording_on_a_volume_move_to_another_one() -> None:
    from ctsys.storage.recorder_link import apply_move, plan_move

    doc = validate({"cameras": CAMERAS})
    move = plan_move(doc, "/srv/ctdata/1")
    assert (move.cameras, move.source_volumes, move.target_volume) == (["cam1"], ["v1"], "v2")
    moved = apply_move(doc, move)
    assert [(c.name, c.volume) for c in moved.cameras.cameras] == [("cam1", "v2"), ("cam2", "v2")]
    assert plan_move(doc, "/srv/ctdata/3").cameras == []
    with pytest.raises(CtsysError, match="no other recorder volume on /srv/ctdata/9 can take them"):
        plan_move(doc, "/srv/ctdata/1", "/srv/ctdata/9")


def test_replicate_before_the_recorders_first_start_is_not_a_failure(fake_run, cli_root) -> None:
    # the timer fires five minutes after boot, possibly before the recorder made its index
    result = cli_root("storage", "replicate")
    assert result.exit_code == 0 and "nothing to copy" in result.output
