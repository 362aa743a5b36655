"""Installer decisions that need no disk: target choice, refusals, answers, partition names."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctsys.errors import CtsysError, ValidationError
from ctsys.install import answer, target
from ctsys.install.disk import partition_path
from ctsys.storage.inventory import Disk, Partition

pytestmark = pytest.mark.unit
GB = 1000**3


def disk(name: str, size: int = 500 * GB, role: str = "free", serial: str | None = None, **kw: object) -> Disk:
    return Disk(name=name, path=f"/dev/{name}", size=size, serial=serial or f"SN-{name}", role=role, **kw)  # type: ignore[arg-type]


def test_auto_picks_the_only_suitable_disk() -> None:
    disks = [disk("sda", role="data"), disk("sdb"), disk("sdc", role="removable"), disk("md0", role="raid-member")]
    assert target.choose(disks, "auto").name == "sdb"
    assert [k.disk.name for k in target.kept(disks)] == ["sda", "sdc", "md0"]


def test_auto_refuses_to_guess_between_two_disks() -> None:
    with pytest.raises(CtsysError, match="several disks") as info:
        target.choose([disk("sda"), disk("sdb")], "auto")
    assert "ctserver.disk=SERIAL" in str(info.value)


def test_named_disk_by_serial_or_path() -> None:
    disks = [disk("sda"), disk("nvme0n1", serial="S4EWNX0N")]
    assert target.choose(disks, "S4EWNX0N").name == "nvme0n1"
    assert target.choose(disks, "/dev/sda").name == "sda"
    with pytest.raises(CtsysError, match="no disk 'sdz'"):
        target.choose(disks, "sdz")


@pytest.mark.parametrize(
    ("candidate", "reason"),
    [
        (disk("sda", role="data"), "holds a ctdata volume"),
        (disk("sda", role="raid-member"), "RAID member"),
        (disk("sda", role="removable"), "removable medium"),
        (disk("sda", size=4 * GB), "too small"),
        (disk("sda", partitions=[Partition("sda1", "/dev/sda1", GB, mountpoints=["/run/live/medium"])]), "live medium"),
        (disk("sda", partitions=[Partition("sda1", "/dev/sda1", GB, mountpoints=["/mnt/usb"])]), "mounted"),
    ],
)
def test_refusals_name_the_reason_and_write_nothing(candidate: Disk, reason: str) -> None:
    with pytest.raises(CtsysError, match=reason) as info:
        target.choose([candidate], "sda")
    assert "nothing was written" in str(info.value)


def test_no_candidate_lists_every_disk_and_why() -> None:
    with pytest.raises(CtsysError) as info:
        target.choose([disk("sda", role="data"), disk("sdb", size=GB)], "auto")
    assert "/dev/sda: holds a ctdata volume" in str(info.value) and "/dev/sdb: is too small" in str(info.value)


def test_partition_names() -> None:
    assert partition_path("/dev/sda", 3) == "/dev/sda3"
    assert partition_path("/dev/nvme0n1", 1) == "/dev/nvme0n1p1"
    assert partition_path("/dev/loop7", 2) == "/dev/loop7p2"


def test_answers_from_file_and_kernel_parameters(tmp_path: Path) -> None:
    medium = tmp_path / "medium"
    medium.mkdir()
    (medium / "site.yaml").write_text("hostname: gate-srv\ndisk: auto\nfinish: reboot\n")
    got = answer.load(None, "BOOT_IMAGE=/live/vmlinuz ctserver.mode=install ctserver.answer=/site.yaml "
                            "ctserver.disk=S4EWNX0N quiet", medium)
    assert (got.hostname, got.disk, got.finish) == ("gate-srv", "S4EWNX0N", "reboot")
    assert answer.load(None, "", medium).disk == "auto"  # no default file on this medium
    assert answer.load(None, "ctserver.finish=poweroff", medium).finish == "poweroff"
    with pytest.raises(ValidationError) as info:
        answer.load(None, "ctserver.finish=halt", medium)
    assert info.value.problems[0][0] == "kernel command line (ctserver.*): finish"


def test_bad_answers_name_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "a.yaml"
    bad.write_text("hostname: 'x y'\nnetwork_typo: {}\n")
    with pytest.raises(ValidationError) as info:
        answer.load(str(bad), "", tmp_path)
    paths = [p for p, _ in info.value.problems]
    assert any(p.endswith("hostname") for p in paths) and any(p.endswith("network_typo") for p in paths)
    with pytest.raises(CtsysError, match="does not exist"):
        answer.load(str(tmp_path / "missing.yaml"), "", tmp_path)


def test_newest_kernel_compares_versions_as_numbers_and_needs_its_initrd(tmp_path: Path) -> None:
    from ctsys.install.system import newest_kernel

    boot = tmp_path / "boot"
    boot.mkdir()
    for version in ("6.1.0-9-amd64", "6.1.0-10-amd64", "6.1.0-11-amd64"):
        (boot / f"vmlinuz-{version}").write_text("")
    for version in ("6.1.0-9-amd64", "6.1.0-10-amd64"):  # 11 has no initrd: not bootable
        (boot / f"initrd.img-{version}").write_text("")
    assert newest_kernel(tmp_path) == "6.1.0-10-amd64"
    for path in boot.glob("initrd.img-*"):
        path.unlink()
    with pytest.raises(CtsysError, match="no kernel with its initrd"):
        newest_kernel(tmp_path)


def test_grub_menu_boots_the_root_by_uuid_with_the_console_arguments() -> None:
    from ctsys.install.system import KERNEL_ARGS, grub_menu

    menu = grub_menu("0a1b2c3d-0000-4000-8000-000000000001", "6.1.0-57-amd64")
    assert "search --no-floppy --fs-uuid --set=root 0a1b2c3d-0000-4000-8000-000000000001" in menu
    linux = [line.strip() for line in menu.splitlines() if line.strip().startswith("linux ")]
    assert linux == [
        f"linux /boot/vmlinuz-6.1.0-57-amd64 root=UUID=0a1b2c3d-0000-4000-8000-000000000001 ro {KERNEL_ARGS}",
        f"linux /boot/vmlinuz-6.1.0-57-amd64 root=UUID=0a1b2c3d-0000-4000-8000-000000000001 ro {KERNEL_ARGS} single",
    ]
    assert menu.count("initrd /boot/initrd.img-6.1.0-57-amd64") == 2
    assert "terminal_output console serial" in menu and "set default=0" in menu
