"""`ctsys install` on loop devices: the real partitioning, formatting, copy and
configuration (GRUB is exercised in the system tier, from the booted ISO).
A data disk with a ctdata volume sits beside the target and must come out
byte-identical."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from tests.tools import require, sh, sha256

pytestmark = pytest.mark.integration
CTSYS = str(Path(sys.executable).parent / "ctsys")
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhQ0uAb0Hq5sOuB8xqYkX9b2yP3cG2cYtYb3VYQmZt0 tech@laptop"
# openssl passwd -6 -salt ctinstall ct-install-test
PASSWORD_HASH = "$6$ctinstall$E.H8tELN/NajeYfZ6L6TkemBmloBYhvHrNOZBqfEBeDo45/oXuggzbRgBLMV9hEp8W8kVMZ/YMk.LFRrDB/oA0"


@pytest.fixture
def loop(tmp_path: Path) -> Iterator[Callable[[str, str], str]]:
    """Make sparse files into loop devices (with partition scanning); all detached afterwards."""
    require("losetup", "sgdisk", "mkfs.ext4", "mkfs.vfat", "partprobe", "fsck.vfat")
    devices: list[str] = []

    def make(name: str, size: str) -> str:
        image = tmp_path / f"{name}.img"
        sh("truncate", "-s", size, str(image))
        device = sh("losetup", "--find", "--show", "--partscan", str(image)).strip()
        devices.append(device)
        return device

    yield make
    for device in devices:
        subprocess.run(["umount", "--recursive", "--lazy", device], capture_output=True, timeout=30)
        subprocess.run(["losetup", "-d", device], capture_output=True, timeout=30)


@pytest.fixture
def data_disk(loop: Callable[[str, str], str], tmp_path: Path) -> str:
    """A data disk as the storage code leaves it: an ext4 volume labelled ctdata-1 with a marker and a recording."""
    device = loop("data", "512M")
    sh("mkfs.ext4", "-q", "-L", "ctdata-1", device)
    mnt = tmp_path / "data-mnt"
    mnt.mkdir()
    sh("mount", device, str(mnt))
    try:
        (mnt / ".ctdata").mkdir()
        (mnt / ".ctdata/volume.json").write_text(json.dumps({"volume_id": 1}))
        (mnt / "recordings/cam1").mkdir(parents=True)
        (mnt / "recordings/cam1/cam1_20261128T100000Z.mkv").write_bytes(b"\x1aE\xdf\xa3" + b"\0" * 4096)
    finally:
        sh("umount", str(mnt))
    return device


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A tiny root tree standing in for the live system."""
    root = tmp_path / "rootfs"
    for d in ("etc/ssh", "usr/bin", "var/lib", "boot"):
        (root / d).mkdir(parents=True)
    (root / "etc/machine-id").write_text("0123456789abcdef0123456789abcdef\n")
    (root / "etc/ssh/ssh_host_ed25519_key").write_text("image key: must be replaced\n")
    (root / "usr/bin/tool").write_text("#!/bin/sh\necho tool\n")
    (root / "usr/bin/tool").chmod(0o755)
    # the image's account files: the administrator without a password
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\nadmin:x:1000:1000::/home/admin:/bin/bash\n")
    (root / "etc/shadow").write_text("root:*:20000:0:99999:7:::\nadmin:!:20000:0:99999:7:::\n")
    (root / "etc/group").write_text("root:x:0:\nsudo:x:27:admin\nadmin:x:1000:\n")
    (root / "etc/gshadow").write_text("root:*::\nsudo:*::admin\nadmin:!::\n")
    (root / "etc/shadow").chmod(0o640)
    return root


def install(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CTSYS, "install", *args], capture_output=True, text=True, timeout=600)


def test_install_writes_the_target_and_leaves_the_data_disk_untouched(
    loop: Callable[[str, str], str], data_disk: str, source: Path, tmp_path: Path
) -> None:
    target = loop("system", "9G")
    answer = tmp_path / "answer.yaml"
    answer.write_text(yaml.safe_dump({"hostname": "cam-srv-9", "admin_authorized_keys": [KEY],
                                      "admin_password_hash": PASSWORD_HASH}))
    before = sha256(data_disk)
    result = install("--disk", target, "--source", str(source), "--answer", str(answer), "--yes",
                     "--no-bootloader", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["steps"]) == {"partition", "format", "copy", "configure", "verify", "check"}
    assert "copy: " in result.stderr  # progress was shown
    assert sha256(data_disk) == before

    table = sh("sgdisk", "--print", target)
    assert "EF02" in table and "EF00" in table and "8304" in table
    uuids = {p: sh("blkid", "-s", "UUID", "-o", "value", f"{target}p{p}").strip() for p in (2, 3)}
    mnt = tmp_path / "check"
    mnt.mkdir()
    sh("mount", "-o", "ro", f"{target}p3", str(mnt))
    try:
        fstab = (mnt / "etc/fstab").read_text()
        assert f"UUID={uuids[3]}\t/\text4" in fstab and f"UUID={uuids[2]}\t/boot/efi\tvfat" in fstab
        assert (mnt / "etc/machine-id").read_text() != "0123456789abcdef0123456789abcdef\n"
        assert "image key" not in (mnt / "etc/ssh/ssh_host_ed25519_key").read_text()
        assert (mnt / "usr/bin/tool").stat().st_mode & 0o777 == 0o755
        assert (mnt / "etc/hostname").read_text() == "cam-srv-9\n"
        assert KEY in (mnt / "etc/ssh/authorized_keys/admin").read_text()
        # the answer's password is the account's (nothing activates in an install's tree)
        assert f"admin:{PASSWORD_HASH}:" in (mnt / "etc/shadow").read_text()
        assert json.loads((mnt / "etc/ct-server/installed.json").read_text())["source"] == str(source)
    finally:
        sh("umount", str(mnt))


def test_a_data_disk_is_refused_as_target_and_stays_identical(
    loop: Callable[[str, str], str], data_disk: str, source: Path
) -> None:
    before = sha256(data_disk)
    result = install("--disk", data_disk, "--source", str(source), "--yes", "--no-bootloader")
    assert result.returncode == 1
    assert "holds a ctdata volume" in result.stderr and "nothing was written" in result.stderr
    assert sha256(data_disk) == before


def test_a_too_small_disk_is_refused(loop: Callable[[str, str], str], source: Path) -> None:
    small = loop("small", "2G")
    result = install("--disk", small, "--source", str(source), "--yes", "--no-bootloader")
    assert result.returncode == 1 and "too small" in result.stderr
    probe = subprocess.run(["blkid", "-p", small], capture_output=True, text=True, timeout=30)
    assert probe.stdout == ""  # still blank: no partition table was written


def test_bad_answer_file_names_the_field(loop: Callable[[str, str], str], source: Path, tmp_path: Path) -> None:
    target = loop("system", "9G")
    answer = tmp_path / "answer.yaml"
    answer.write_text("hostname: 'bad name'\nfinish: sometimes\n")
    result = install("--disk", target, "--source", str(source), "--answer", str(answer), "--yes", "--no-bootloader")
    assert result.returncode == 1
    assert "hostname" in result.stderr and "finish" in result.stderr
    assert subprocess.run(["blkid", "-p", target], capture_output=True, text=True).stdout == ""


def test_answers_the_document_refuses_stop_before_the_disk_is_touched(
    loop: Callable[[str, str], str], source: Path, tmp_path: Path
) -> None:
    target = loop("system", "9G")
    answer = tmp_path / "answer.yaml"
    # valid YAML and answer keys, but an MTU the network section refuses
    answer.write_text("network: {interfaces: [{name: eth0, role: management, dhcp4: true, mtu: 20}]}\n")
    result = install("--disk", target, "--source", str(source), "--answer", str(answer), "--yes", "--no-bootloader")
    assert result.returncode == 1
    assert "network.interfaces[0].mtu" in result.stderr, result.stderr
    assert subprocess.run(["blkid", "-p", target], capture_output=True, text=True).stdout == ""


def test_the_installer_asks_for_the_administrators_password(
    loop: Callable[[str, str], str], source: Path, tmp_path: Path
) -> None:
    """At a terminal: asked twice, hidden; the installed account has it (as a hash only)."""
    import pexpect

    target = loop("system", "9G")
    # a stand-in systemctl: whatever the installer's end does, this machine does not reboot
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "systemctl").write_text("#!/bin/sh\necho \"systemctl $*\" >&2\n")
    (bin_dir / "systemctl").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    child = pexpect.spawn(CTSYS, ["install", "--disk", target, "--source", str(source), "--no-bootloader",
                                  "--json"], env=env, encoding="utf-8", timeout=300)
    try:
        child.expect("Administrator password")
        child.sendline("short")
        child.expect("Repeat for confirmation")
        child.sendline("short")
        child.expect(pexpect.EOF)
        assert "at least 8 characters" in (child.before or "")
    finally:
        child.close()
    assert child.exitstatus == 1
    assert subprocess.run(["blkid", "-p", target], capture_output=True, text=True).stdout == ""

    password = "Own secret 2026"
    child = pexpect.spawn(CTSYS, ["install", "--disk", target, "--source", str(source), "--no-bootloader",
                                  "--json"], env=env, encoding="utf-8", timeout=300)
    try:
        child.expect("Administrator password")
        child.sendline(password)
        child.expect("Repeat for confirmation")
        child.sendline(password)
        child.expect(r"Type its name \(/dev/loop\d+\)")  # a loop device has no serial number
        child.sendline(target)
        child.expect(pexpect.EOF)
        transcript = child.before or ""
    finally:
        child.close()
    assert child.exitstatus == 0, transcript
    assert password not in transcript  # never echoed
    mnt = tmp_path / "check"
    mnt.mkdir()
    sh("mount", "-o", "ro", f"{target}p3", str(mnt))
    try:
        entry = next(line for line in (mnt / "etc/shadow").read_text().splitlines() if line.startswith("admin:"))
        stored = entry.split(":")[1]
        salt = stored.split("$")[2]
        assert sh("openssl", "passwd", "-6", "-salt", salt, password).strip() == stored
        assert password not in (mnt / "etc/ctsys/appliance.yaml").read_text()
    finally:
        sh("umount", str(mnt))
