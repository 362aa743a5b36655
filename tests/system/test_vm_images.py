"""VM images as `ctimage build --outputs ...` makes them: the ISO's installer
writes a raw disk in qemu (direct kernel boot, Install mode, power-off at the
end), every format is converted and checked, and the qcow2 boots to a ready
appliance that takes its host name from a first-boot seed disk."""

from __future__ import annotations

import json
import tarfile
import tempfile
from pathlib import Path

import pytest

from image.qemu import VmSpec
from image.vmdisk import install_to_disk
from image.vmformats import FORMATS, make_vm_images, verify
from tests.system.conftest import LOGS, OUTPUT, ApplianceImage
from tests.system.harness import Vm, free_port
from tests.tools import sh

pytestmark = [pytest.mark.system, pytest.mark.timeout(3600)]

QEMU_FORMAT = {"qcow2": "qcow2", "vmdk": "vmdk", "vhdx": "vhdx"}


def seed_disk(path: Path, hostname: str) -> Path:
    """A small ext4 disk labelled CT-SEED with ct-seed.yaml, made without mounting (mke2fs -d)."""
    content = path.parent / "seed-content"
    content.mkdir()
    (content / "ct-seed.yaml").write_text(f"hostname: {hostname}\n")
    sh("truncate", "-s", "16M", str(path))
    sh("mkfs.ext4", "-q", "-F", "-L", "CT-SEED", "-d", str(content), str(path))
    return path


def test_vm_images_are_installed_converted_checked_and_the_qcow2_boots(appliance_image: ApplianceImage) -> None:
    LOGS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ct-vm-images.", dir=OUTPUT) as scratch:
        work = Path(scratch)
        disk = install_to_disk(appliance_image.iso, work / "vm.raw", LOGS / "vmdisk-install.serial.log",
                               progress=print)
        print(f"VM disk: installer {disk.install_seconds} s, qemu start to power-off {disk.seconds:.0f} s")
        images = make_vm_images(disk.raw, work, "ct-test", FORMATS, "test", progress=print)
        for fmt, image in images.items():
            print(f"{fmt}: {image.seconds:.1f} s, {image.bytes / 2**20:.0f} MiB")
        assert sorted(images) == sorted(FORMATS)
        assert verify(images) == []
        for fmt, qemu_format in QEMU_FORMAT.items():
            info = json.loads(sh("qemu-img", "info", "--output=json", str(images[fmt].path)))
            assert info["format"] == qemu_format and info["virtual-size"] == disk.raw.stat().st_size
        with tarfile.open(images["ova"].path) as ova:
            names = ova.getnames()
        assert names[0].endswith(".ovf") and names[-1].endswith(".mf") and names[1].endswith(".vmdk")

        seed = seed_disk(work / "seed.raw", "seeded-vm")
        spec = VmSpec(image=None, attach=(images["qcow2"].path, seed), ssh_port=free_port())
        with Vm(spec, log_path=LOGS / "vm-qcow2.serial.log", ssh_key=appliance_image.ssh_key) as vm:
            seconds = vm.wait_ready(timeout=1800)
            print(f"qcow2: ready in {seconds:.0f} s")
            assert vm.state == "running", vm.check("systemctl --failed --no-legend")
            assert json.loads(vm.check("ctsys status --json"))
            assert vm.check("hostname").strip() == "seeded-vm"
            assert vm.ssh("true", timeout=120).returncode == 0
