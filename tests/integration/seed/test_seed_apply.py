"""`ctsys --root R seed apply` with real seed filesystems on loop devices, and the unit's ordering in a boot.

The seed disks are made on loop devices (ext4 labelled CT-SEED or cidata; an iso9660
labelled cidata made by xorriso) and found by the real lsblk/blkid; `--device` keeps the
search to this test's devices. The root R starts empty: the seed makes its document.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.integration.seed.conftest import mounts_of
from tests.tools import require

pytestmark = pytest.mark.integration
CTSYS = str(Path(sys.executable).parent / "ctsys")
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhQ0uAb0Hq5sOuB8xqYkX9b2yP3cG2cYtYb3VYQmZt0 tech@laptop"
SEED = {
    "hostname": "vm-gate-07",
    "admin_authorized_keys": [KEY],
    "network": {"interfaces": [
        {"name": "eth0", "role": "management", "addresses": ["192.0.2.10/24"], "gateway4": "192.0.2.1"},
    ]},
}
MakeSeed = Callable[[str, str, dict[str, str]], str]


def ctsys(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CTSYS, "--root", str(root), *args], capture_output=True, text=True, timeout=300)


def tree(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Every file and link under root: content digest or link target."""
    import hashlib

    found = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if rel.startswith(skip) or (path.is_dir() and not path.is_symlink()):
            continue
        found[rel] = f"-> {os.readlink(path)}" if path.is_symlink() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def scratch_mounts() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("ctsys-mnt-*")}


def document(root: Path) -> dict[str, object]:
    return yaml.safe_load((root / "etc/ctsys/appliance.yaml").read_text())  # type: ignore[no-any-return]


def test_ext4_seed_sets_hostname_key_and_network_once(seed_disk: MakeSeed, tmp_path: Path) -> None:
    device = seed_disk("ext4", "CT-SEED", {"ct-seed.yaml": yaml.safe_dump(SEED)})
    root = tmp_path / "root"
    before = scratch_mounts()

    shown = ctsys(root, "seed", "show", "--json", "--device", device)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["source"]["where"] == f"{device} (CT-SEED)"
    assert not root.exists() or not (root / "etc/ctsys/appliance.yaml").exists()  # show changes nothing

    first = ctsys(root, "seed", "apply", "--first-boot", "--device", device)
    assert first.returncode == 0, first.stderr
    doc = document(root)
    assert doc["system"]["hostname"] == "vm-gate-07"  # type: ignore[index]
    assert doc["system"]["admin"]["authorized_keys"] == [KEY]  # type: ignore[index]
    assert doc["network"]["interfaces"][0]["addresses"] == ["192.0.2.10/24"]  # type: ignore[index]
    history = ctsys(root, "config", "history", "--json")
    assert json.loads(history.stdout)[-1]["summary"] == f"seed: hostname, admin keys, network from {device} (CT-SEED)"
    # rendered by the system and network modules, as the booted system reads them
    assert (root / "etc/hostname").read_text() == "vm-gate-07\n"
    assert KEY in (root / "etc/ssh/authorized_keys/admin").read_text()
    netplan = yaml.safe_load((root / "etc/netplan/60-ctsys.yaml").read_text())
    assert "192.0.2.10/24" in json.dumps(netplan)
    assert (root / "etc/systemd/system/sysinit.target.wants/ctsys-seed.service").is_symlink()
    assert mounts_of(device) == [] and scratch_mounts() == before  # unmounted, scratch directory gone

    applied = tree(root)
    again = ctsys(root, "seed", "apply", "--first-boot", "--device", device)
    assert again.returncode == 0 and "applied already" in again.stdout
    assert tree(root) == applied  # not a byte changed, not even the journal


def test_nocloud_iso_is_found_by_label_and_unreadable_here_changes_nothing(
    seed_disk: MakeSeed, tmp_path: Path
) -> None:
    """This host's kernel has no iso9660 driver (the appliance's has): the real blkid finds the
    xorriso-made cidata ISO, the failed read-only mount is named, nothing is left mounted or changed."""
    device = seed_disk("iso9660", "cidata", {
        "meta-data": "instance-id: iid-1\nlocal-hostname: gate-iso\n",
        "user-data": f"#cloud-config\nssh_authorized_keys: ['{KEY}']\n",
    })
    root = tmp_path / "root"
    assert ctsys(root, "apply").returncode == 0
    rendered = tree(root, skip=("var/log",))
    before = scratch_mounts()
    result = ctsys(root, "seed", "apply", "--first-boot", "--device", device)
    if result.returncode == 0:  # a kernel with iso9660: the NoCloud seed must have been applied
        assert document(root)["system"]["hostname"] == "gate-iso"  # type: ignore[index]
        assert KEY in (root / "etc/ssh/authorized_keys/admin").read_text() and mounts_of(device) == []
        return
    assert f"the seed filesystem {device} (cidata) could not be read" in result.stderr
    assert f"mount -t iso9660 -o ro {device}" in result.stderr
    assert tree(root, skip=("var/log",)) == rendered
    assert mounts_of(device) == [] and scratch_mounts() == before


def test_nocloud_files_on_a_cidata_disk_set_hostname_and_keys(seed_disk: MakeSeed, tmp_path: Path) -> None:
    device = seed_disk("ext4", "cidata", {
        "meta-data": "instance-id: iid-gate-08\nlocal-hostname: gate-08\n",
        "user-data": f"#cloud-config\nssh_authorized_keys:\n  - {KEY}\npackages: [htop]\n",
    })
    root = tmp_path / "root"
    shown = ctsys(root, "seed", "show", "--json", "--device", device)
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    assert report["source"]["format"] == "nocloud"
    assert report["ignored"] == ["meta-data: instance-id", "user-data: packages"]
    result = ctsys(root, "seed", "apply", "--first-boot", "--device", device)
    assert result.returncode == 0, result.stderr
    assert "ignored: user-data: packages" in result.stdout
    assert (root / "etc/hostname").read_text() == "gate-08\n"
    assert KEY in (root / "etc/ssh/authorized_keys/admin").read_text()
    assert mounts_of(device) == []


def test_a_bad_seed_names_the_field_and_changes_nothing(seed_disk: MakeSeed, tmp_path: Path) -> None:
    bad = {**SEED, "network": {"interfaces": [{"name": "eth0", "role": "management", "addresses": ["192.0.2.300/24"]}]}}
    device = seed_disk("ext4", "CT-SEED", {"ct-seed.yaml": yaml.safe_dump({**bad, "finish": "reboot"})})
    root = tmp_path / "root"
    assert ctsys(root, "apply").returncode == 0
    rendered = tree(root, skip=("var/log",))
    result = ctsys(root, "seed", "apply", "--first-boot", "--device", device)
    assert result.returncode == 1
    where = f"ct-seed.yaml on {device} (CT-SEED)"
    assert f"{where}: finish:" in result.stderr
    assert f"{where}: network.interfaces[0].addresses[0]" in result.stderr
    assert tree(root, skip=("var/log",)) == rendered
    assert not (root / "var/lib/ctsys/seed-applied.json").exists() and mounts_of(device) == []


def test_the_seed_unit_makes_no_ordering_cycle_in_a_boot(tmp_path: Path) -> None:
    """The rendered units beside this Debian host's own (systemd-networkd, ssh, nftables):
    one boot transaction that wants them all must keep ctsys-seed.service."""
    require("systemd-analyze")
    root = tmp_path / "root"
    assert ctsys(root, "apply").returncode == 0
    units = tmp_path / "units"
    shutil.copytree(root / "etc/systemd/system", units, symlinks=True)
    (units / "ct-boot-check.target").write_text(
        "[Unit]\nDescription=every unit of an appliance boot\n"
        "Wants=multi-user.target network-online.target systemd-networkd.service "
        "systemd-networkd-wait-online.service ssh.service nftables.service ctsys-storage-adopt.service\n"
    )
    env = {**os.environ, "SYSTEMD_UNIT_PATH": f"{units}:"}  # trailing ':': then the host's unit directories
    boot = subprocess.run(["systemd-analyze", "verify", "--man=no", "ct-boot-check.target"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert "ordering cycle" not in boot.stderr and "deleted to break" not in boot.stderr, boot.stderr
    unit = subprocess.run(["systemd-analyze", "verify", "--man=no", str(units / "ctsys-seed.service")],
                          capture_output=True, text=True, env=env, timeout=120)
    # ctsys is found by systemd's own search path on the appliance (/usr/bin), not on this host.
    problems = [line for line in unit.stderr.splitlines() if "Command ctsys is not executable" not in line]
    assert not problems, unit.stderr
