"""The initramfs hook that keeps network, GPU and network-filesystem drivers
out of the boot's initramfs (live/initramfs/zz-ct-server-trim), run with sh
on a made-up initramfs tree, as mkinitramfs runs it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from image import REPO_ROOT

pytestmark = pytest.mark.unit

HOOK = REPO_ROOT / "live" / "initramfs" / "zz-ct-server-trim"
VERSION = "6.1.0-99-amd64"
MODULES = {
    "kernel/drivers/net/virtio_net.ko": "",
    "kernel/drivers/net/ethernet/broadcom/cnic.ko": "",
    "kernel/drivers/gpu/drm/drm.ko": "",
    "kernel/drivers/scsi/sd_mod.ko": "kernel/drivers/scsi/scsi_mod.ko",
    "kernel/drivers/scsi/scsi_mod.ko": "",
    "kernel/drivers/scsi/bnx2fc/bnx2fc.ko": "kernel/drivers/scsi/libfc.ko kernel/drivers/net/ethernet/broadcom/cnic.ko",
    "kernel/drivers/scsi/libfc.ko": "",
    # needs bnx2fc, itself gone because of cnic: goes in the second round
    "kernel/drivers/scsi/uses_bnx2fc.ko": "kernel/drivers/scsi/bnx2fc/bnx2fc.ko",
    "kernel/fs/btrfs/btrfs.ko": "",
    "kernel/fs/ext4/ext4.ko": "",
    "kernel/fs/squashfs/squashfs.ko": "",
}


def run_hook(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    dest = tmp_path / "initramfs"
    modules = dest / "usr" / "lib" / "modules" / VERSION
    for name in MODULES:
        (modules / name).parent.mkdir(parents=True, exist_ok=True)
        (modules / name).write_text("")
    (dest / "lib").symlink_to("usr/lib")  # merged /usr, as in the real initramfs
    (dest / "conf").mkdir()
    (dest / "conf" / "modules").write_text("linear\nraid0\nraid1\nraid456\nraid10\nefivarfs\n")
    deps = tmp_path / "modules.dep"
    deps.write_text("".join(f"{name}: {needs}\n" if needs else f"{name}:\n" for name, needs in MODULES.items()))
    env = {"PATH": "/usr/bin:/bin", "DESTDIR": str(dest), "version": VERSION, "CT_MODULES_DEP": str(deps)}
    result = subprocess.run(["sh", str(HOOK), *args], env=env, capture_output=True, text=True, check=False)
    return result, modules


def left(modules: Path) -> set[str]:
    return {str(p.relative_to(modules)) for p in modules.rglob("*.ko")}


def test_network_gpu_and_network_filesystems_go_storage_and_local_filesystems_stay(tmp_path: Path) -> None:
    result, modules = run_hook(tmp_path)
    assert result.returncode == 0, result.stderr
    assert left(modules) == {
        "kernel/drivers/scsi/sd_mod.ko", "kernel/drivers/scsi/scsi_mod.ko", "kernel/drivers/scsi/libfc.ko",
        "kernel/fs/ext4/ext4.ko", "kernel/fs/squashfs/squashfs.ko",
    }


def test_modules_whose_dependencies_went_go_too_round_after_round(tmp_path: Path) -> None:
    _, modules = run_hook(tmp_path)
    assert not (modules / "kernel/drivers/scsi/bnx2fc/bnx2fc.ko").exists()
    assert not (modules / "kernel/drivers/scsi/uses_bnx2fc.ko").exists()


def test_raid_personalities_are_no_longer_loaded_at_each_boot(tmp_path: Path) -> None:
    result, _ = run_hook(tmp_path)
    assert result.returncode == 0
    assert (tmp_path / "initramfs" / "conf" / "modules").read_text() == "efivarfs\n"


def test_it_answers_the_prereqs_question_like_every_hook(tmp_path: Path) -> None:
    result, modules = run_hook(tmp_path, "prereqs")
    assert result.returncode == 0 and result.stdout.strip() == ""
    assert len(left(modules)) == len(MODULES)  # prereqs only asks: nothing removed
