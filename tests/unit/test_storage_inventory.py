"""Inventory: lsblk/blkid parsing, roles, and `ctsys disk list` on captured outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ctsys.errors import CtsysError
from ctsys.storage import human_size
from ctsys.storage.inventory import find_disk, list_disks, parse_blkid_export, parse_lsblk

FIXTURES = Path(__file__).parent.parent / "fixtures" / "storage"

pytestmark = pytest.mark.unit


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_appliance_disks_get_their_roles() -> None:
    disks = {d.name: d for d in parse_lsblk(fixture("lsblk-appliance-handmade.json"))}
    assert set(disks) == {"sda", "sdb", "sdc", "sdd", "sde", "nvme0n1", "vdb"}  # no CD drive
    assert disks["sda"].role == "system"
    assert disks["sdb"].role == "raid-member" and disks["sdb"].raid_arrays == ["md0"]
    assert disks["nvme0n1"].role == "data"
    assert disks["sdd"].role == "removable"
    assert disks["sde"].role == "free"


def test_kind_and_transport_come_from_rotation_and_bus() -> None:
    disks = {d.name: d for d in parse_lsblk(fixture("lsblk-appliance-handmade.json"))}
    assert (disks["sda"].kind, disks["sda"].transport) == ("ssd", "sata")
    assert (disks["sdb"].kind, disks["sdb"].transport) == ("hdd", "sata")
    assert (disks["nvme0n1"].kind, disks["nvme0n1"].transport) == ("nvme", "nvme")
    assert disks["vdb"].transport == "virtio"
    assert disks["sdd"].transport == "usb"
    assert disks["sdb"].serial == "WD-WX12D80A1234"
    assert disks["sda"].vendor == "ATA"


def test_partitions_carry_filesystems_and_mounts() -> None:
    sda = find_disk("sda", parse_lsblk(fixture("lsblk-appliance-handmade.json")))
    assert [p.name for p in sda.partitions] == ["sda1", "sda2", "sda3"]
    assert sda.all_mountpoints == ["/boot/efi", "/", "[SWAP]"]
    assert sda.partitions[1].fstype == "ext4"


def test_md_array_on_system_mount_makes_its_members_system_disks() -> None:
    data = json.loads(fixture("lsblk-appliance-handmade.json"))
    for node in data["blockdevices"]:
        for child in node.get("children", []):
            if child["name"] == "md0":
                child["mountpoints"] = ["/"]
    disks = {d.name: d for d in parse_lsblk(json.dumps(data))}
    assert disks["sdb"].role == "system" and disks["sdc"].role == "system"


def test_host_capture_without_udev_has_loops_only_when_asked() -> None:
    text = fixture("lsblk-host-loops.json")
    assert [d.name for d in parse_lsblk(text)] == ["vda"]
    disks = {d.name: d for d in parse_lsblk(text, include_loop=True)}
    assert disks["vda"].role == "system"
    assert disks["loop0"].kind == "loop" and disks["loop0"].partitions[0].mountpoints == ["/tmp/st-mnt"]
    assert disks["loop1"].role == "free"


def test_blkid_fills_what_lsblk_misses_without_udev(fake_run) -> None:
    fake_run.on("lsblk", stdout=fixture("lsblk-host-loops.json"))
    fake_run.on("blkid", "-p", "-o", "export", "/dev/loop0", stdout=fixture("blkid-loop-disk.txt"))
    fake_run.on("blkid", "-p", "-o", "export", "/dev/loop0p1", stdout=fixture("blkid-loop-part.txt"))
    fake_run.on("blkid", "-p", "-o", "export", "/dev/loop1", returncode=2)
    disks = {d.name: d for d in list_disks(include_loop=True, probe=True)}
    part = disks["loop0"].partitions[0]
    assert (part.fstype, part.label, part.partlabel) == ("ext4", "ctdata-1", "ctdata-1")
    assert part.uuid == "083a9082-bbe8-473c-bf74-28514e938510"
    assert disks["loop0"].pttype == "gpt"
    assert disks["loop0"].role == "data"
    assert disks["loop1"].role == "free"


def test_blkid_export_blocks_are_split_by_device() -> None:
    found = parse_blkid_export(fixture("blkid-loop-disk.txt") + "\n" + fixture("blkid-loop-part.txt"))
    assert set(found) == {"/dev/loop0", "/dev/loop0p1"}
    assert found["/dev/loop0p1"]["TYPE"] == "ext4"


def test_unknown_disk_is_a_clear_error_that_lists_the_disks() -> None:
    disks = parse_lsblk(fixture("lsblk-appliance-handmade.json"))
    with pytest.raises(CtsysError, match=r"unknown disk 'sdz' \(disks: /dev/sda, "):
        find_disk("sdz", disks)
    with pytest.raises(CtsysError, match="sda2 is a partition, not a disk"):
        find_disk("/dev/sda2", disks)
    assert find_disk("WSD0ABCD", disks).name == "sde"


def test_lsblk_garbage_is_reported_not_crashed_on() -> None:
    with pytest.raises(CtsysError, match="not JSON"):
        parse_lsblk("lsblk: unknown column")


def test_disk_list_json_and_table(fake_run, cli_root) -> None:
    fake_run.on("lsblk", stdout=fixture("lsblk-appliance-handmade.json"))
    result = cli_root("disk", "list", "--json", "--no-smart")
    assert result.exit_code == 0, result.output
    data = {d["name"]: d for d in json.loads(result.output)}
    assert data["sdb"]["role"] == "raid-member"
    assert data["sdb"]["size"] == 4000787030016
    result = cli_root("disk", "list", "--no-smart")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["NAME", "SIZE", "KIND"]
    assert any(line.startswith("/dev/sde") and "free" in line and "8.00 TB" in line for line in lines)


def test_disk_list_adds_a_smart_summary_per_physical_disk(fake_run, cli_root) -> None:
    fake_run.on("lsblk", stdout=fixture("lsblk-appliance-handmade.json"))
    fake_run.on("smartctl", stdout=fixture("smartctl-ata-qemu-ide.json"))
    result = cli_root("disk", "list", "--json")
    assert result.exit_code == 0, result.output
    data = {d["name"]: d for d in json.loads(result.output)}
    assert data["sda"]["smart"]["healthy"] is True
    assert data["vdb"]["smart"]["available"] is False
    assert "smartctl -j -a /dev/vdb" not in fake_run.commands()


def test_sizes_use_decimal_units_like_disk_labels() -> None:
    assert human_size(4000787030016) == "4.00 TB"
    assert human_size(512) == "512 B"


def test_qemu_capture_with_udev_shows_the_array_members_and_no_floppy() -> None:
    disks = {d.name: d for d in parse_lsblk(fixture("lsblk-qemu-raid1.json"))}
    assert set(disks) == {"sda", "vda", "vdb", "nvme0n1"}  # fd0, sr0 and the live loop0 left out
    assert disks["vda"].role == "raid-member" and disks["vda"].fstype == "linux_raid_member"
    # vdb was listed before udev had probed it: its md0 holder still makes it a member
    assert disks["vdb"].role == "raid-member" and disks["vdb"].raid_arrays == ["md0"]
    assert (disks["sda"].transport, disks["sda"].serial, disks["sda"].model) == ("ata", "QM00005", "QEMU HARDDISK")
    assert disks["vda"].serial == "CTDISK0000" and disks["vda"].transport == "virtio"
    assert disks["nvme0n1"].kind == "nvme" and disks["sda"].role == "free"
