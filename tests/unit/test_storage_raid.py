"""RAID: /proc/mdstat states, level and size checks, mdadm commands, monitor events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ctsys.errors import CtsysError
from ctsys.storage import raid
from ctsys.storage.inventory import parse_lsblk
from ctsys.storage.mdstat import parse_mdstat

FIXTURES = Path(__file__).parent.parent / "fixtures" / "storage"

pytestmark = pytest.mark.unit


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_clean_raid1() -> None:
    (md0,) = parse_mdstat(fixture("mdstat-clean.txt"))
    assert (md0.name, md0.level, md0.state, md0.member_map) == ("md0", "raid1", "clean", "UU")
    assert [m.device for m in md0.members] == ["vdb", "vda"]
    assert md0.size_bytes == 1046528 * 1024


def test_degraded_raid1_names_the_failed_member() -> None:
    (md0,) = parse_mdstat(fixture("mdstat-degraded.txt"))
    assert md0.state == "degraded" and md0.degraded
    assert md0.failed == ["vdb"] and (md0.raid_disks, md0.active_disks) == (2, 1)


def test_resync_percent_and_finish() -> None:
    (md0,) = parse_mdstat(fixture("mdstat-resync.txt"))
    assert md0.state == "resyncing"
    assert (md0.sync_action, md0.sync_percent, md0.sync_finish_minutes, md0.sync_speed_kib) == (
        "resync",
        2.2,
        0.7,
        23616,
    )


def test_recovery_onto_a_new_member() -> None:
    (md0,) = parse_mdstat(fixture("mdstat-recovery.txt"))
    assert md0.state == "recovering" and md0.sync_percent == 7.1 and md0.degraded
    assert [(m.device, m.slot) for m in md0.members] == [("vdb", 2), ("vda", 0)]


def test_mixed_levels_spare_inactive_and_pending() -> None:
    arrays = {a.name: a for a in parse_mdstat(fixture("mdstat-mixed.txt"))}
    assert arrays["md2"].level == "raid10" and arrays["md2"].state == "clean"
    assert arrays["md1"].spares == ["sdd"] and arrays["md1"].state == "clean"
    assert arrays["md127"].state == "inactive" and arrays["md127"].level is None
    assert arrays["md3"].read_only and arrays["md3"].level == "raid6"
    assert arrays["md3"].state == "resyncing" and arrays["md3"].sync_waiting == "PENDING"


def test_no_md_driver_means_no_array(tmp_path: Path) -> None:
    from ctsys.storage.mdstat import read_mdstat

    assert read_mdstat(str(tmp_path / "mdstat")) == []


@pytest.mark.parametrize(
    ("level", "count", "message"),
    [
        (1, 1, "RAID 1 needs at least 2 disks, 1 given"),
        (5, 2, "RAID 5 needs at least 3 disks, 2 given"),
        (6, 3, "RAID 6 needs at least 4 disks, 3 given"),
        (10, 5, "RAID 10 needs an even number of disks, 5 given"),
        (0, 4, "RAID level 0 is not offered"),
    ],
)
def test_too_few_disks_for_a_level_is_refused(level: int, count: int, message: str) -> None:
    with pytest.raises(CtsysError, match=message):
        raid.check_level(level, count)


def disks_with(sizes: dict[str, int]):
    data = json.loads(fixture("lsblk-appliance-handmade.json"))
    base = next(n for n in data["blockdevices"] if n["name"] == "sde")
    data["blockdevices"] = [n for n in data["blockdevices"] if n["name"] != "sde"]
    for name, size in sizes.items():
        data["blockdevices"].append(
            {**base, "name": name, "kname": name, "path": f"/dev/{name}", "size": size, "serial": f"SER-{name}"}
        )
    return json.dumps(data)


def test_sizes_differing_more_than_ten_percent_need_force() -> None:
    disks = {d.name: d for d in parse_lsblk(disks_with({"sdf": 4_000_000_000_000, "sdg": 4_500_000_000_000}))}
    with pytest.raises(CtsysError, match=r"differ by more than 10 %: /dev/sdf is 4.00 TB, /dev/sdg is 4.50 TB"):
        raid.check_sizes([disks["sdf"], disks["sdg"]], force=False)
    raid.check_sizes([disks["sdf"], disks["sdg"]], force=True)
    close = {d.name: d for d in parse_lsblk(disks_with({"sdf": 4_000_000_000_000, "sdg": 4_300_000_000_000}))}
    raid.check_sizes([close["sdf"], close["sdg"]], force=False)


def test_create_argv_is_metadata_1_2_with_bitmap_and_spares() -> None:
    assert raid.create_argv("md1", 5, ["/dev/sdb", "/dev/sdc", "/dev/sdd"], ["/dev/sde"]) == [
        "mdadm",
        "--create",
        "/dev/md1",
        "--run",
        "--metadata=1.2",
        "--level=5",
        "--raid-devices=3",
        "--bitmap=internal",
        "--homehost=<none>",
        "--name=md1",
        "--spare-devices=1",
        "/dev/sdb",
        "/dev/sdc",
        "/dev/sdd",
        "/dev/sde",
    ]


def test_create_records_the_array_and_renders_mdadm_conf(fake_run, cli_root, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("ctsys.storage.raid.read_mdstat", lambda: [])
    fake_run.on("lsblk", stdout=disks_with({"sdf": 4_000_787_030_016, "sdg": 4_000_787_030_016}))
    fake_run.on("mdadm", "--detail", "--export", stdout=fixture("mdadm-detail-export-md0.txt"))
    result = cli_root("raid", "create", "--level", "1", "sdf", "sdg", "--no-volume")
    assert result.exit_code == 0, result.output
    commands = fake_run.commands()
    assert "wipefs -a /dev/sdf" in commands and "wipefs -a /dev/sdg" in commands
    assert any(c.startswith("mdadm --create /dev/md0 --run") and c.endswith("/dev/sdf /dev/sdg") for c in commands)
    conf = (tmp_path / "etc/mdadm/mdadm.conf").read_text()
    assert "ARRAY /dev/md0 metadata=1.2 UUID=276cd657:fc0d66d4:06745399:47c92abf" in conf
    assert "PROGRAM /etc/ctsys/storage/mdadm-event" in conf


def test_create_refuses_a_raid_member_and_a_system_disk_changing_nothing(fake_run, cli_root, tmp_path) -> None:
    fake_run.on("lsblk", stdout=fixture("lsblk-appliance-handmade.json"))
    result = cli_root("raid", "create", "--level", "1", "sde", "sdb")
    assert result.exit_code == 1
    assert "member of the active RAID array(s) md0" in result.output
    result = cli_root("raid", "create", "--level", "1", "sde", "sda", "--force", "--serial", "S6PENL0T123456A")
    assert result.exit_code == 1 and "holds the running system" in result.output
    result = cli_root("raid", "create", "--level", "5", "sde", "vdb")
    assert result.exit_code == 1 and "RAID 5 needs at least 3 disks" in result.output
    assert not any(c.startswith(("mdadm", "wipefs")) for c in fake_run.commands())
    assert not (tmp_path / "etc/mdadm/mdadm.conf").exists()


def test_replace_a_failed_member_removes_it_and_adds_the_new_disk(fake_run) -> None:
    (md0,) = parse_mdstat(fixture("mdstat-degraded.txt"))
    new = parse_lsblk(fixture("lsblk-appliance-handmade.json"))[-1]
    assert raid.replace(md0, "vdb", new) == "recovery"
    assert fake_run.commands()[-1] == f"mdadm --manage /dev/md0 --add {new.path}"
    assert "mdadm --manage /dev/md0 --remove failed" in fake_run.commands()


def test_replace_a_working_member_copies_before_failing_it(fake_run) -> None:
    (md0,) = parse_mdstat(fixture("mdstat-clean.txt"))
    new = parse_lsblk(fixture("lsblk-appliance-handmade.json"))[-1]
    assert raid.replace(md0, "vda", new) == "replace"
    assert fake_run.commands()[-1] == f"mdadm --manage /dev/md0 --replace /dev/vda --with {new.path}"
    with pytest.raises(CtsysError, match="sdz is not a member of md0"):
        raid.replace(md0, "sdz", new)


def test_status_json_reports_degraded_and_missing_arrays(fake_run, cli_root, monkeypatch) -> None:
    monkeypatch.setattr("ctsys.storage.mdstat.read_mdstat", lambda: parse_mdstat(fixture("mdstat-degraded.txt")))
    assert (
        cli_root(
            "config",
            "set",
            "storage.arrays",
            '[{name: md0, uuid: "3e2f1a0b:9c8d7e6f:5a4b3c2d:1e0f9a8b", level: 1, devices: 2},'
            ' {name: md1, uuid: "00000000:11111111:22222222:33333333", level: 1, devices: 2}]',
        ).exit_code
        == 0
    )
    result = cli_root("raid", "status", "--json")
    assert result.exit_code == 0, result.output
    data = {a["name"]: a for a in json.loads(result.output)}
    assert data["md0"]["state"] == "degraded" and data["md0"]["failed"] == ["vdb"]
    assert data["md1"]["state"] == "missing"


@pytest.mark.parametrize(
    ("event", "severity", "state"),
    [
        ("Fail", "critical", "raised"),
        ("DegradedArray", "critical", "raised"),
        ("SpareActive", "info", "cleared"),
        ("RebuildFinished", "info", "cleared"),
    ],
)
def test_monitor_events_become_raid_alerts(event: str, severity: str, state: str, fake_run, cli_root, tmp_path) -> None:
    result = cli_root("raid", "event", event, "/dev/md0", "/dev/vdc")
    assert result.exit_code == 0, result.output
    (line,) = (tmp_path / "var/log/ctsys/alerts.jsonl").read_text().splitlines()
    alert = json.loads(line)
    assert (alert["kind"], alert["subject"], alert["severity"], alert["state"]) == ("raid", "md0", severity, state)
    assert alert["message"].startswith(event + ":")


def test_rebuild_progress_events_go_to_the_journal_only(fake_run, cli_root, tmp_path) -> None:
    result = cli_root("raid", "event", "Rebuild40", "/dev/md0")
    assert result.exit_code == 0 and "Rebuild40" in result.output
    assert not (tmp_path / "var/log/ctsys/alerts.jsonl").exists()


def test_adopt_starts_a_foreign_array_degraded_but_leaves_active_ones(tmp_path: Path, fake_run: Any) -> None:
    from ctsys.storage.adopt import start_degraded

    mdstat = tmp_path / "mdstat"
    mdstat.write_text(
        "Personalities : [raid1]\n"
        "md127 : inactive vda[0](S)\n      1046528 blocks super 1.2\n       \n"
        "md0 : active raid1 vdc[2] vdb[0]\n      1046528 blocks super 1.2 [2/2] [UU]\n       \n"
        "unused devices: <none>\n"
    )
    assert start_degraded(str(mdstat)) == ["md127"]
    assert fake_run.commands() == ["mdadm --run /dev/md127", "udevadm settle --timeout=30"]
    fake_run.calls.clear()
    fake_run.on("mdadm", "--run", returncode=1, stderr="mdadm: failed to start array")
    assert start_degraded(str(mdstat)) == []  # a refusal is logged, adopt goes on


def test_adopt_sees_where_an_array_is_already_mounted(tmp_path: Path) -> None:
    from ctsys.storage.adopt import mounted_at

    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/vda3 / ext4 rw,relatime 0 0\n"
        "/dev/md127 /srv/ctdata/1 ext4 rw,nofail 0 0\n"
        "/dev/md12 /srv/ctdata/two\\040words ext4 rw 0 0\n"
    )
    assert mounted_at("/dev/md127", str(mounts)) == ["/srv/ctdata/1"]  # not /dev/md12's
    assert mounted_at("/dev/md12", str(mounts)) == ["/srv/ctdata/two words"]
    assert mounted_at("/dev/md0", str(mounts)) == []
