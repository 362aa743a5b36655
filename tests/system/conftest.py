"""Fixtures of the system tier: the small server test image, built once per
session (or reused when its inputs are unchanged), and VMs booted from it.

Later issues' tests (bonding, RAID, SMART) use them:

    def test_bond(appliance_image, boot_vm):
        vm = boot_vm(nics=2)                 # booted and ready, killed after the test
        vm.check("ip link add bond0 type bond mode active-backup")
        vm.monitor("set_link net1 off")

The tier fails, never skips, when it cannot run here (no qemu, no OVMF, not root).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from image.build import build_image, inputs_fingerprint, workspace_lock
from image.config import Config, make_config
from image.qemu import OVMF_CODE, QEMU, VmSpec
from tests.system.harness import Vm, free_port

# Separate from interactive builds' /var/tmp/ctimage, so a test never boots a
# hand-made image by mistake; override with CT_SYSTEM_OUTPUT.
OUTPUT = Path(os.environ.get("CT_SYSTEM_OUTPUT", "/var/tmp/ctimage-system"))
LOGS = OUTPUT / "logs"


@dataclass(frozen=True)
class ApplianceImage:
    iso: Path
    ssh_key: Path
    config: Config
    report: dict[str, Any]
    rebuilt: bool


def system_config() -> Config:
    return make_config({"test_access": True, "boot_default": "live-serial",
                        "boot_timeout": 1, "output_dir": OUTPUT})


def _require_tools() -> None:
    missing = [tool for tool in (QEMU, "qemu-img", "xorriso", "ssh")
               if shutil.which(tool) is None]
    if not OVMF_CODE.is_file():
        missing.append(str(OVMF_CODE) + " (package ovmf)")
    if missing:
        pytest.fail("the system tier cannot run here, missing: " + ", ".join(missing))


def _reusable(config: Config) -> dict[str, Any] | None:
    report_path = OUTPUT / f"{config.image_name}.build.json"
    if not report_path.is_file():
        return None
    report = json.loads(report_path.read_text())
    rootfs = OUTPUT / f"{config.image_name}.work" / "rootfs" / "etc" / "os-release"
    if (report.get("fingerprint") == inputs_fingerprint(config)
            and Path(report["image"]).is_file() and rootfs.exists()):
        return dict(report)
    return None


@pytest.fixture(scope="session")
def appliance_image() -> ApplianceImage:
    """The debian-12 server image with test access (serial autologin, SSH key)."""
    _require_tools()
    config = system_config()
    # sessions share the output directory: check and build under one lock
    with workspace_lock(config):
        report = _reusable(config)
        rebuilt = report is None
        if report is None:
            result = build_image(config, lock=False)
            report = json.loads(result.report.read_text())
    # the settings the image was built with, so re-provisioning renders the same files
    built = Config.from_dict(report["config"])
    return ApplianceImage(iso=Path(report["image"]),
                          ssh_key=OUTPUT / f"{config.image_name}.ssh-key",
                          config=built, report=report, rebuilt=rebuilt)


BootVm = Callable[..., Vm]


@pytest.fixture
def boot_vm(appliance_image: ApplianceImage, request: pytest.FixtureRequest) -> Iterator[BootVm]:
    """Factory: boot_vm(uefi=False, usb=False, nics=1, disks=0, ...) returns a
    ready Vm; every VM it started is killed when the test ends."""
    started: list[Vm] = []

    def boot(**spec: Any) -> Vm:
        spec.setdefault("ssh_port", free_port())
        vm = Vm(VmSpec(image=appliance_image.iso, **spec),
                log_path=_log_path(request.node.name, len(started)),
                ssh_key=appliance_image.ssh_key)
        started.append(vm)
        vm.start()
        vm.wait_ready()
        return vm

    yield boot
    for vm in started:
        vm.kill()


def _log_path(name: str, index: int) -> Path:
    LOGS.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return LOGS / f"{safe}-{index}.serial.log"


@pytest.fixture(scope="module")
def module_vm(appliance_image: ApplianceImage,
              request: pytest.FixtureRequest) -> Iterator[Vm]:
    """One VM per (module, param): several tests share a boot. The param is a
    dict of VmSpec fields, e.g. {"uefi": True, "usb": True}, plus optionally
    "boot_entry": a GRUB hotkey ("2" boots Install on the serial console)."""
    spec: dict[str, Any] = dict(getattr(request, "param", {}))
    hotkey = spec.pop("boot_entry", None)  # a GRUB hotkey, see iso/grub.cfg
    spec.setdefault("ssh_port", free_port())
    flags = "-".join(k for k, v in spec.items() if v is True)
    name = f"{request.module.__name__.rsplit('.', 1)[-1]}-{flags or 'bios-cd'}"
    vm = Vm(VmSpec(image=appliance_image.iso, **spec), log_path=_log_path(name, 0),
            ssh_key=appliance_image.ssh_key)
    try:
        vm.start()
        if hotkey:
            vm.select_boot_entry(hotkey)
        vm.wait_ready()
        yield vm
    finally:
        vm.kill()


@pytest.fixture
def boot_vm_unready(appliance_image: ApplianceImage,
                    request: pytest.FixtureRequest) -> Iterator[Vm]:
    """A started VM that has not been waited for (to pick a boot entry, or to
    watch the console); killed after the test."""
    vm = Vm(VmSpec(image=appliance_image.iso), log_path=_log_path(request.node.name, 0),
            ssh_key=appliance_image.ssh_key)
    try:
        yield vm.start()
    finally:
        vm.kill()
