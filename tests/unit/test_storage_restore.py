"""Re-adoption of the recorder's configuration: the cameras copy, its restoration, renumbering, refusals."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

from ctsys.config.document import Appliance, validate
from ctsys.config.store import Revision
from ctsys.storage.cameras_copy import CopyError, copy_text, parse_copy
from ctsys.storage.cameras_plan import Volume, plan_cameras
from ctsys.storage.reindex import reindex_targets
from ctsys.storage.replicate import replicate_cameras
from ctsys.storage.volume_contents import VolumeContents, look_inside

pytestmark = pytest.mark.unit

UUID_A = "5c1a3f2e-8d7b-4f60-9a1e-2b3c4d5e6f70"
UUID_B = "9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"
UUID_C = "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
CAMERAS: dict[str, Any] = {
    "volumes": [
        {"name": "v1", "path": "/srv/ctdata/1/recordings", "require_mount": False},
        {"name": "v2", "path": "/srv/ctdata/2/recordings", "require_mount": False},
    ],
    "cameras": [
        {"name": "gate", "volume": "v1", "streams": {"main": {"url": "rtsp://10.0.0.5/h264", "password": "s3"}}},
        {"name": "yard", "volume": "v2", "streams": {"main": {"url": "rtsp://10.0.0.6/h264"}}},
    ],
}
REVISION = Revision(7, "2026-11-28T22:00:00Z", "root", "console", "ctsys camera add yard", "cameras.cameras")


def old_system(cameras: dict[str, Any] = CAMERAS) -> Appliance:
    """The system that wrote the copies: ctdata-1 is disk A, ctdata-2 is disk B."""
    return validate(
        {"storage": {"volumes": [{"id": 1, "uuid": UUID_A}, {"id": 2, "uuid": UUID_B}]}, "cameras": cameras}
    )


def written_copy(doc: Appliance, volume_id: int, written: str = "2026-11-28T23:00:00Z") -> str:
    volume = doc.storage.volume(volume_id)
    assert volume is not None
    return copy_text(doc, REVISION, volume, written)


def fresh(*volumes: tuple[int, str]) -> Appliance:
    """A freshly installed document after merge(): only the adopted data volumes."""
    return validate({"storage": {"volumes": [{"id": n, "uuid": u} for n, u in volumes]}})


def adopted(volume_id: int, uuid: str, marker_id: int, copy: str | None = None, segments: str | None = None) -> Volume:
    return Volume(volume_id, uuid, marker_id, VolumeContents(cameras_copy=copy, segments_in=segments))


def test_a_copy_restores_the_cameras_section_on_a_fresh_install() -> None:
    old = old_system()
    volumes = [adopted(1, UUID_A, 1, written_copy(old, 1)), adopted(2, UUID_B, 2, written_copy(old, 2))]
    new, plan = plan_cameras(fresh((1, UUID_A), (2, UUID_B)), volumes)
    assert new is not None and plan.status == "restored"
    assert new.cameras == old.cameras  # credentials included: the recorder can log in again
    assert (plan.revision, plan.appliance, plan.moved, plan.added) == (7, "ct-server", [], [])
    assert plan.summary().startswith("storage adopt: cameras section restored from /srv/ctdata/")


def test_recorder_volume_paths_follow_a_renumbered_data_volume() -> None:
    old = old_system()
    # The new system already had a ctdata-1 (disk C): disk A got number 3.
    volumes = [adopted(3, UUID_A, 1, written_copy(old, 1)), adopted(2, UUID_B, 2)]
    new, plan = plan_cameras(fresh((1, UUID_C), (2, UUID_B), (3, UUID_A)), volumes)
    assert new is not None
    assert [(v.name, v.path) for v in new.cameras.volumes] == [
        ("v1", "/srv/ctdata/3/recordings"),
        ("v2", "/srv/ctdata/2/recordings"),
    ]
    assert [(m.volume, m.old, m.new) for m in plan.moved] == [
        ("v1", "/srv/ctdata/1/recordings", "/srv/ctdata/3/recordings")
    ]
    assert plan.source == "/srv/ctdata/3/.ctdata/index/cameras.yaml"


def test_swapped_volume_numbers_are_moved_at_once_not_one_after_the_other() -> None:
    old = old_system()
    volumes = [adopted(2, UUID_A, 1, written_copy(old, 1)), adopted(1, UUID_B, 2)]
    new, _ = plan_cameras(fresh((1, UUID_B), (2, UUID_A)), volumes)
    assert new is not None
    assert [v.path for v in new.cameras.volumes] == ["/srv/ctdata/2/recordings", "/srv/ctdata/1/recordings"]


def test_a_copy_without_a_volume_list_moves_paths_by_the_marker_number() -> None:
    data = yaml.safe_load(written_copy(old_system(), 1))
    del data["volumes"]
    volumes = [adopted(4, UUID_A, 1, yaml.safe_dump(data)), adopted(2, UUID_B, 2)]
    new, _ = plan_cameras(fresh((2, UUID_B), (4, UUID_A)), volumes)
    assert new is not None and new.cameras.volumes[0].path == "/srv/ctdata/4/recordings"


def test_a_recorder_volume_on_a_disk_not_found_is_kept_and_named() -> None:
    old = old_system()
    # Disk B is missing, and number 2 now belongs to disk C.
    new, plan = plan_cameras(fresh((1, UUID_A), (2, UUID_C)), [adopted(1, UUID_A, 1, written_copy(old, 1))])
    assert new is not None and new.cameras.volumes[1].path == "/srv/ctdata/2/recordings"
    assert len(plan.warnings) == 1
    assert f"uuid {UUID_B}, which was not found" in plan.warnings[0] and UUID_C in plan.warnings[0]


@pytest.mark.parametrize(
    "section",
    [
        {"cameras": CAMERAS["cameras"], "volumes": CAMERAS["volumes"]},
        {"volumes": [{"name": "mine", "path": "/srv/ctdata/1/recordings"}]},
    ],
    ids=["cameras", "recorder-volumes-only"],
)
def test_a_document_with_cameras_or_recorder_volumes_is_never_overwritten(section: dict[str, Any]) -> None:
    doc = validate({"storage": {"volumes": [{"id": 1, "uuid": UUID_A}]}, "cameras": section})
    copy = written_copy(old_system({"volumes": [{"name": "other", "path": "/srv/x"}]}), 1)
    new, plan = plan_cameras(doc, [adopted(1, UUID_A, 1, copy, segments="recordings")])
    assert new is None
    assert (plan.status, plan.source, plan.added) == ("kept", "/srv/ctdata/1/.ctdata/index/cameras.yaml", [])


def test_the_newest_copy_wins() -> None:
    old = old_system()
    newer = old_system({"volumes": CAMERAS["volumes"], "cameras": CAMERAS["cameras"][:1]})
    volumes = [
        adopted(1, UUID_A, 1, written_copy(newer, 1, "2026-11-29T08:00:00Z")),
        adopted(2, UUID_B, 2, written_copy(old, 2, "2026-11-28T23:00:00Z")),
    ]
    new, plan = plan_cameras(fresh((1, UUID_A), (2, UUID_B)), volumes)
    assert new is not None and [c.name for c in new.cameras.cameras] == ["gate"]
    assert plan.written == "2026-11-29T08:00:00Z"


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda text: text[: len(text) // 2] + "\n  - [unclosed", "YAML syntax error at line"),
        (lambda text: "just a line\n", "not a copy of the cameras section"),
        (lambda text: text.replace("format: 1", "format: 9"), "format 9 is not one this ctsys reads"),
        (lambda text: text.replace("volume: v2", "volume: v9"), "cameras.cameras[1].volume: no volume named 'v9'"),
        (lambda text: text.replace("retention_days: 30.0", "retention_days: -1", 1), "retention_days"),
    ],
    ids=["truncated", "not-a-mapping", "newer-format", "unknown-volume", "out-of-range"],
)
def test_a_damaged_copy_is_named_and_skipped_whole(damage: Any, reason: str) -> None:
    old = old_system()
    good = written_copy(old, 2, "2026-11-20T00:00:00Z")  # older than the damaged one
    volumes = [
        adopted(1, UUID_A, 1, damage(written_copy(old, 1, "2026-11-29T00:00:00Z"))),
        adopted(2, UUID_B, 2, good),
    ]
    new, plan = plan_cameras(fresh((1, UUID_A), (2, UUID_B)), volumes)
    assert [r.path for r in plan.rejected] == ["/srv/ctdata/1/.ctdata/index/cameras.yaml"]
    assert reason in plan.rejected[0].reason
    assert new is not None and new.cameras == old.cameras  # the older, valid copy: all of it
    assert plan.source == "/srv/ctdata/2/.ctdata/index/cameras.yaml"


def test_only_damaged_copies_leave_the_document_as_it_was() -> None:
    volumes = [adopted(1, UUID_A, 1, "cameras: [\n")]
    new, plan = plan_cameras(fresh((1, UUID_A)), volumes)
    assert new is None and plan.status == "nothing" and len(plan.rejected) == 1


def test_an_unreadable_copy_is_reported() -> None:
    volume = Volume(1, UUID_A, 1, VolumeContents(copy_error="unreadable: [Errno 5] Input/output error"))
    _, plan = plan_cameras(fresh((1, UUID_A)), [volume])
    assert [(r.path, r.reason) for r in plan.rejected] == [
        ("/srv/ctdata/1/.ctdata/index/cameras.yaml", "unreadable: [Errno 5] Input/output error")
    ]


def test_without_a_copy_segments_get_a_recorder_volume_of_their_own() -> None:
    volumes = [adopted(1, UUID_A, 1, segments="recordings"), adopted(2, UUID_B, 2, segments=""), adopted(3, UUID_C, 3)]
    new, plan = plan_cameras(fresh((1, UUID_A), (2, UUID_B), (3, UUID_C)), volumes)
    assert new is not None and plan.status == "volumes-added"
    assert [(v.name, v.path, v.require_mount) for v in new.cameras.volumes] == [
        ("ctdata-1", "/srv/ctdata/1/recordings", False),  # recordings/ only exists while mounted
        ("ctdata-2", "/srv/ctdata/2", True),  # an older system recorded at the volume's top
    ]
    assert new.cameras.cameras == []
    assert "recorder volumes ctdata-1 (/srv/ctdata/1/recordings), ctdata-2 (/srv/ctdata/2) added" in plan.summary()


def test_a_restored_copy_covering_the_segments_adds_no_volume_but_a_foreign_disk_gets_one() -> None:
    old = old_system()
    volumes = [
        adopted(1, UUID_A, 1, written_copy(old, 1), segments="recordings"),
        adopted(3, UUID_C, 1, segments="recordings"),
    ]
    new, plan = plan_cameras(fresh((1, UUID_A), (3, UUID_C)), volumes)
    assert new is not None and plan.status == "restored"
    assert [a.name for a in plan.added] == ["ctdata-3"]
    assert [v.name for v in new.cameras.volumes] == ["v1", "v2", "ctdata-3"]


def test_nothing_to_restore_changes_nothing() -> None:
    new, plan = plan_cameras(fresh((1, UUID_A)), [adopted(1, UUID_A, 1)])
    assert new is None and plan.status == "nothing" and not plan.changes


def test_reindex_covers_everything_without_an_index_copy_and_only_new_volumes_with_one() -> None:
    old = old_system()
    volumes = [adopted(1, UUID_A, 1, written_copy(old, 1)), adopted(3, UUID_C, 3, segments="recordings")]
    new, plan = plan_cameras(fresh((1, UUID_A), (3, UUID_C)), volumes)
    assert new is not None
    assert reindex_targets(plan, new, index_restored=False) == ["v1", "v2", "ctdata-3"]
    assert reindex_targets(plan, new, index_restored=True) == ["ctdata-3"]
    _, kept = plan_cameras(new, volumes)
    assert reindex_targets(kept, new, index_restored=False) == []


def test_copy_round_trip_keeps_revision_and_volume_places() -> None:
    copy = parse_copy(written_copy(old_system(), 2), "/x/cameras.yaml")
    assert (copy.revision, copy.written, copy.appliance) == (7, "2026-11-28T23:00:00Z", "ct-server")
    assert copy.mountpoints == {UUID_A: "/srv/ctdata/1", UUID_B: "/srv/ctdata/2"}
    with pytest.raises(CopyError, match="it has no cameras section"):
        parse_copy("format: 1\nwritten: x\n", "/x")


def test_look_inside_finds_the_copy_the_index_copy_and_segments(tmp_path: Path) -> None:
    assert look_inside(tmp_path, "index.sqlite") == VolumeContents()
    (tmp_path / ".ctdata/index").mkdir(parents=True)
    (tmp_path / ".ctdata/index/cameras.yaml").write_text("format: 1\n")
    (tmp_path / ".ctdata/index/index.sqlite").write_text("")
    os.utime(tmp_path / ".ctdata/index/index.sqlite", (1000, 1000))
    day = tmp_path / "recordings/gate/2026-11-20"
    day.mkdir(parents=True)
    (day / "notes.txt").write_text("not a segment")
    contents = look_inside(tmp_path, "index.sqlite")
    assert (contents.cameras_copy, contents.index_mtime, contents.segments_in) == ("format: 1\n", 1000, None)
    (day / "gate_20261120T080000.000Z_main_continuous.mkv").write_bytes(b"")
    assert look_inside(tmp_path, "index.sqlite").segments_in == "recordings"


def test_replicate_writes_the_cameras_copy_privately_and_skips_an_empty_section(tmp_path: Path) -> None:
    doc = old_system()
    volumes = [(v, str(tmp_path / f"v{v.id}")) for v in doc.storage.volumes]
    copies, errors = replicate_cameras(doc, REVISION, volumes)
    assert errors == [] and [c.path for c in copies] == [f"{tmp_path}/v{n}/.ctdata/index/cameras.yaml" for n in (1, 2)]
    target = tmp_path / "v2/.ctdata/index/cameras.yaml"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # camera credentials
    assert sorted(p.name for p in target.parent.iterdir()) == ["cameras.yaml"]  # no temporary file left
    data = yaml.safe_load(target.read_text())
    assert (data["revision"], data["volume"]["mountpoint"], data["cameras"]["cameras"][0]["name"]) == (
        7,
        "/srv/ctdata/2",
        "gate",
    )
    # A fresh install must not replace the only copy of the configuration with an empty one.
    before = target.read_text()
    empty = validate({"storage": doc.storage.model_dump(mode="json")})
    assert replicate_cameras(empty, None, volumes) == ([], [])
    assert target.read_text() == before


def test_replicate_reports_a_volume_it_cannot_write(tmp_path: Path) -> None:
    doc = old_system()
    blocked = tmp_path / "v1"
    blocked.write_text("a file where the volume should be")
    copies, errors = replicate_cameras(
        doc, None, [(doc.storage.volumes[0], str(blocked)), (doc.storage.volumes[1], str(tmp_path / "v2"))]
    )
    assert len(copies) == 1 and len(errors) == 1 and errors[0].startswith(f"{blocked}: ")


def test_record_commands_under_root_use_the_trees_index(cli_root: Any, tmp_path: Path) -> None:
    cameras = "{volumes: [{name: v1, path: /srv/ctdata/1/recordings}]}"
    assert cli_root("config", "set", "cameras", cameras).exit_code == 0
    result = cli_root("record", "list", "--json")
    assert result.exit_code == 0 and result.output.strip() == "[]"
    assert (tmp_path / "var/lib/ct-recorder/index.sqlite").exists()


def test_first_boot_hands_the_reindex_to_a_unit_that_starts_after_the_recorder(fake_run: Any) -> None:
    from ctsys.storage.reindex import reindex_in_background

    result = reindex_in_background(["v1"])
    assert (result.background, result.error, result.done) == ("ctsys-storage-reindex.service", None, False)
    [argv] = fake_run.calls
    assert argv[:2] == ["systemd-run", "--no-block"] and argv[-3:] == ["ctsys", "record", "reindex"]
    assert "--property=After=ct-recorder.service" in argv and "--property=IOSchedulingClass=idle" in argv
    fake_run.on("systemd-run", returncode=1, stderr="Unit ctsys-storage-reindex.service already exists.")
    assert "already exists" in (reindex_in_background(["v1"]).error or "")
