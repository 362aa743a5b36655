"""Fixtures of the system tier: the small server test image, built once per
session (or reused when its inputs are unchanged), and VMs booted from it.

Most tests join one boot, `shared_vm` (a Live BIOS CD VM with the hardware of
tests/system/shapes.py); a test that needs its own machine (another firmware,
boot entry or disk set, or a reboot) boots one with `boot_vm`:

    def test_bond(shared_vm):
        shared_vm.check("ip link add bond0 type bond mode active-backup")
        shared_vm.monitor("set_link m1 off")

    def test_degraded_boot(boot_vm):
        vm = boot_vm(extra_args=...)          # booted and ready, killed after the test

Tests that end the shared machine (eject its medium, make qemu exit) carry the
marker `ends_vm` and run last (see pytest_collection_modifyitems). The rules for
joining the shared boot are in docs/developing.md.

The tier fails, never skips, when it cannot run here (no qemu, no OVMF, not root).
"""

from __future__ import annotations

import contextlib
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
from tests.system.shapes import shared_shape

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


@dataclass(frozen=True)
class SharedMachine:
    vm: Vm
    disks: dict[str, Path]  # the disk files by device id (ra, rb, rc, ide, nvme)
    forwards: dict[int, int]  # guest TCP port -> 127.0.0.1 port (besides SSH): 443, 80


@pytest.fixture(scope="session")
def shared_machine(appliance_image: ApplianceImage,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedMachine]:
    """The session's one Live BIOS CD boot, shared by every test that asks for it."""
    disks, extra = shared_shape(tmp_path_factory.mktemp("shared-vm"))
    forwards = {443: free_port(), 80: free_port()}
    spec = {"extra_args": extra, "tcp_forwards": tuple((host, guest) for guest, host in forwards.items())}
    with booted_vm(appliance_image, spec, "shared-bios-cd") as vm:
        yield SharedMachine(vm, disks, forwards)


@pytest.fixture
def shared_vm(shared_machine: SharedMachine) -> Vm:
    """The shared Live VM (booted and ready); a test must leave it usable for the next."""
    if not shared_machine.vm.alive:
        pytest.fail("the shared VM is gone (a test before this one ended it)")
    return shared_machine.vm


@pytest.hookimpl(trylast=True)  # after pytest's own reordering by fixture params
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that end the shared VM (marker `ends_vm`, on a test or a test's param
    that uses it) run after every other test, in their own order."""
    def ends_shared(item: pytest.Item) -> bool:
        return item.get_closest_marker("ends_vm") is not None and (
            "shared_vm" in getattr(item, "fixturenames", ())
            or item.get_closest_marker("shared_vm") is not None)

    items[:] = [i for i in items if not ends_shared(i)] + [i for i in items if ends_shared(i)]


BootVm = Callable[..., Vm]


@pytest.fixture
def boot_vm(appliance_image: ApplianceImage, request: pytest.FixtureRequest) -> Iterator[BootVm]:
    """Factory: boot_vm(uefi=False, usb=False, nics=1, disks=0, ...) returns a
    ready Vm; every VM it started is killed when the test ends."""
    started: list[Vm] = []

    def boot(**spec: Any) -> Vm:
        spec.setdefault("ssh_port", free_port())
        vm = Vm(VmSpec(image=appliance_image.iso, **spec),
                log_path=serial_log_path(request.node.name, len(started)),
                ssh_key=appliance_image.ssh_key)
        started.append(vm)
        vm.start()
        vm.wait_ready()
        return vm

    yield boot
    for vm in started:
        vm.kill()


def serial_log_path(name: str, index: int) -> Path:
    LOGS.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return LOGS / f"{safe}-{index}.serial.log"


@contextlib.contextmanager
def booted_vm(appliance_image: ApplianceImage, spec: dict[str, Any], name: str) -> Iterator[Vm]:
    """A VM of its own, booted and ready, killed after: `spec` holds VmSpec fields, plus
    optionally "boot_entry", a GRUB hotkey ("2" boots Install on the serial console)."""
    spec = dict(spec)
    hotkey = spec.pop("boot_entry", None)  # a GRUB hotkey, see iso/grub.cfg
    spec.setdefault("ssh_port", free_port())
    vm = Vm(VmSpec(image=appliance_image.iso, **spec), log_path=serial_log_path(name, 0),
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
    vm = Vm(VmSpec(image=appliance_image.iso), log_path=serial_log_path(request.node.name, 0),
            ssh_key=appliance_image.ssh_key)
    try:
        yield vm.start()
    finally:
        vm.kill()
