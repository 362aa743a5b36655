"""Where a seed is found: labelled filesystems from captured lsblk output, read-only mounts, the ESP."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ctsys.errors import CtsysError
from ctsys.seed import sources
from tests.conftest import FakeRun

pytestmark = pytest.mark.unit

# `lsblk -J -o NAME,PATH,TYPE,FSTYPE,LABEL,MOUNTPOINTS` of a VM: installed system disk,
# an ext4 seed disk, a NoCloud ISO on the CD drive, a FAT NoCloud partition, a blank disk.
LSBLK = json.dumps({"blockdevices": [
    {"name": "sr0", "path": "/dev/sr0", "type": "rom", "fstype": "iso9660", "label": "cidata",
     "mountpoints": [None]},
    {"name": "vda", "path": "/dev/vda", "type": "disk", "fstype": None, "label": None, "mountpoints": [None],
     "children": [
         {"name": "vda1", "path": "/dev/vda1", "type": "part", "fstype": None, "label": None, "mountpoints": [None]},
         {"name": "vda2", "path": "/dev/vda2", "type": "part", "fstype": "vfat", "label": "CT-EFI",
          "mountpoints": ["/boot/efi"]},
         {"name": "vda3", "path": "/dev/vda3", "type": "part", "fstype": "ext4", "label": "ct-root",
          "mountpoints": ["/"]},
     ]},
    {"name": "vdb", "path": "/dev/vdb", "type": "disk", "fstype": "ext4", "label": "CT-SEED", "mountpoints": [None]},
    {"name": "vdc", "path": "/dev/vdc", "type": "disk", "fstype": None, "label": None, "mountpoints": [None],
     "children": [
         {"name": "vdc1", "path": "/dev/vdc1", "type": "part", "fstype": "vfat", "label": "CIDATA",
          "mountpoints": [None]},
     ]},
    {"name": "vdd", "path": "/dev/vdd", "type": "disk", "fstype": None, "label": None, "mountpoints": [None]},
]})
SEED = b"hostname: vm-gate-07\n"


def disks(
    fake_run: FakeRun, monkeypatch: pytest.MonkeyPatch, lsblk: str, content: dict[str, dict[str, bytes]]
) -> list[str]:
    """lsblk answers `lsblk`; `mount DEV DIR` puts content[DEV]'s files into DIR. Returns the mount points used."""
    import ctrun

    fake_run.on("lsblk", stdout=lsblk)
    used: list[str] = []

    def execute(args: list[str], **options: object) -> object:
        if args[0] == "mount":
            used.append(args[-1])
            for name, data in content.get(args[-2], {}).items():
                (Path(args[-1]) / name).write_bytes(data)
        elif args[0] == "umount":  # the files go with the filesystem
            for path in Path(args[-1]).iterdir():
                path.unlink()
        return fake_run(args, **options)

    monkeypatch.setattr(ctrun, "_execute", execute)
    return used


def test_candidates_come_ct_seed_first_then_cidata_by_device() -> None:
    found = sources.candidates(sources.block_devices(LSBLK))
    assert [(c.device, c.kind, c.fstype) for c in found] == [
        ("/dev/vdb", "CT-SEED", "ext4"),
        ("/dev/sr0", "cidata", "iso9660"),
        ("/dev/vdc1", "cidata", "vfat"),  # FAT labels come out upper case: compared without case
    ]


def test_the_seed_disk_is_mounted_read_only_and_unmounted(
    fake_run: FakeRun, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    used = disks(fake_run, monkeypatch, LSBLK, {"/dev/vdb": {"ct-seed.yaml": SEED}})
    search = sources.find(str(tmp_path))
    assert search.seed is not None
    assert (search.seed.where, search.seed.files) == ("/dev/vdb (CT-SEED)", {"ct-seed.yaml": SEED})
    (directory,) = used
    assert ["mount", "-t", "ext4", "-o", "ro,noload", "/dev/vdb", directory] in fake_run.calls
    assert ["umount", directory] in fake_run.calls and not os.path.exists(directory)


def test_a_seed_disk_without_the_file_is_passed_over_for_the_next(
    fake_run: FakeRun, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    used = disks(fake_run, monkeypatch, LSBLK, {"/dev/sr0": {"meta-data": b"local-hostname: a\n"}})
    search = sources.find(str(tmp_path))
    assert search.seed is not None and search.seed.where == "/dev/sr0 (cidata)"
    assert search.seed.files == {"meta-data": b"local-hostname: a\n"}
    assert search.looked == ["/dev/vdb (CT-SEED): no ct-seed.yaml"]
    assert len(used) == 2 and [c for c in fake_run.calls if c[0] == "umount"] == [["umount", d] for d in used]


def test_ct_seed_yaml_wins_over_nocloud_files_beside_it(
    fake_run: FakeRun, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    lsblk = json.dumps({"blockdevices": [json.loads(LSBLK)["blockdevices"][0]]})
    disks(fake_run, monkeypatch, lsblk, {"/dev/sr0": {"ct-seed.yaml": SEED, "user-data": b"#cloud-config\n"}})
    seed = sources.find(str(tmp_path)).seed
    assert seed is not None and seed.files == {"ct-seed.yaml": SEED}


def test_without_a_seed_disk_the_esp_file_is_used(
    fake_run: FakeRun, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    disks(fake_run, monkeypatch, LSBLK, {})
    esp = tmp_path / "boot/efi/ct-seed.yaml"
    esp.parent.mkdir(parents=True)
    esp.write_bytes(SEED)
    search = sources.find(str(tmp_path))
    assert search.seed is not None and (search.seed.kind, search.seed.where) == ("esp", "/boot/efi/ct-seed.yaml")
    assert search.looked == [
        "/dev/vdb (CT-SEED): no ct-seed.yaml",
        "/dev/sr0 (cidata): no ct-seed.yaml, meta-data or user-data",
        "/dev/vdc1 (CIDATA): no ct-seed.yaml, meta-data or user-data",  # the label as on the disk
    ]


def test_nothing_found_says_where_it_looked(fake_run: FakeRun, tmp_path: Path) -> None:
    fake_run.on("lsblk", stdout='{"blockdevices": []}')
    search = sources.find(str(tmp_path))
    assert search.seed is None
    assert search.looked == ["no filesystem labelled CT-SEED or cidata", "/boot/efi/ct-seed.yaml: absent"]


def test_without_udev_records_blkid_probes_the_unlabelled_devices(fake_run: FakeRun, tmp_path: Path) -> None:
    bare = json.dumps({"blockdevices": [
        {"name": "loop3", "path": "/dev/loop3", "type": "loop", "fstype": None, "label": None, "mountpoints": [None]},
        {"name": "vda", "path": "/dev/vda", "type": "disk", "fstype": None, "label": None, "mountpoints": [None],
         "children": [{"name": "vda3", "path": "/dev/vda3", "type": "part", "fstype": "ext4", "label": "ct-root",
                       "mountpoints": ["/"]}]},
    ]})
    fake_run.on("lsblk", stdout=bare)
    fake_run.on("blkid", "-p", "-o", "export", "/dev/loop3",
                stdout="DEVNAME=/dev/loop3\nLABEL=CT-SEED\nTYPE=xfs\n")
    search = sources.find(str(tmp_path))
    # vda has partitions and vda3 a label: only loop3 is probed; an xfs seed is named, not mounted.
    assert [c for c in fake_run.calls if c[0] == "blkid"] == [["blkid", "-p", "-o", "export", "/dev/loop3"]]
    assert search.looked[0] == "/dev/loop3 (CT-SEED): xfs filesystem, not vfat, iso9660, ext4"
    assert not any(c[0] == "mount" for c in fake_run.calls)


def test_a_mounted_seed_is_read_where_it_is(fake_run: FakeRun, tmp_path: Path) -> None:
    where = tmp_path / "media/seed"
    where.mkdir(parents=True)
    (where / "ct-seed.yaml").write_bytes(SEED)
    node = {"name": "sdb1", "path": "/dev/sdb1", "type": "part", "fstype": "vfat", "label": "CT-SEED",
            "mountpoints": [str(where)]}
    fake_run.on("lsblk", stdout=json.dumps({"blockdevices": [node]}))
    seed = sources.find(str(tmp_path)).seed
    assert seed is not None and seed.files == {"ct-seed.yaml": SEED}
    assert not any(c[0] in ("mount", "umount") for c in fake_run.calls)


def test_the_seed_filesystem_is_unmounted_when_reading_fails(
    fake_run: FakeRun, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    used = disks(fake_run, monkeypatch, LSBLK, {"/dev/vdb": {"ct-seed.yaml": b"#" * (sources.MAX_BYTES + 1)}})
    with pytest.raises(CtsysError, match=r"ct-seed.yaml on /dev/vdb \(CT-SEED\) is larger than"):
        sources.find(str(tmp_path))
    assert ["umount", used[0]] in fake_run.calls and not os.path.exists(used[0])


def test_a_seed_filesystem_that_does_not_mount_is_named(fake_run: FakeRun, tmp_path: Path) -> None:
    from ctsys.errors import CommandError

    fake_run.on("lsblk", stdout=LSBLK)
    fake_run.raise_on("mount", exc=CommandError("mount -t ext4 ...", 32, "wrong fs type, bad superblock"))
    with pytest.raises(CtsysError, match=r"seed filesystem /dev/vdb \(CT-SEED\) could not be read"):
        sources.find(str(tmp_path))


def test_only_names_the_devices_to_look_at(fake_run: FakeRun, tmp_path: Path) -> None:
    fake_run.on("lsblk", stdout=LSBLK)
    assert [c.device for c in sources.list_candidates(("/dev/vdc1",))] == ["/dev/vdc1"]

