"""The Diagnostics boot entry replaces the console login by the status and
tools menu (with this boot's one-time administrator password), and the tools
it lists are there. The Install entry, without answers on the command line,
asks on the console it was booted with: the disk, then the administrator's
password (not echoed); an interrupted install leaves the Live system with its
login prompt back."""

from __future__ import annotations

import pytest

from image.qemu import VmSpec, one_time_password
from tests.system.conftest import ApplianceImage, serial_log_path
from tests.system.harness import Vm

# the first test pays for the session build and the boot (TCG, shared CPU)
pytestmark = [pytest.mark.system, pytest.mark.timeout(3600)]

TOOLS = ("smartctl", "hdparm", "lshw", "dmidecode", "ethtool", "iperf3", "tcpdump", "mtr",
         "memtester", "fio", "stress-ng", "mdadm", "testdisk")


def test_diagnostics_entry_shows_the_menu_with_every_tool(
        appliance_image: ApplianceImage, boot_vm_unready: Vm) -> None:
    vm = boot_vm_unready
    vm.select_boot_entry("3")  # Diagnostics, serial console
    vm.expect(r"CT-Server diagnostics \(", timeout=1800)
    vm.expect(r"choice> ", timeout=120)
    assert vm.child is not None
    # no known password: the menu's status shows the one-time password of this boot
    status = str(vm.child.before or "")
    found = one_time_password(status)
    assert found is not None and found[0] == "admin", status
    vm.child.sendline("4")
    listing = vm.expect(r"tools available in this mode:(?:\s+\S+(?: \(missing\))?)+\s+choice> ",
                        timeout=120)
    lines = [line.strip() for line in listing.replace("\r", "").split("\n")]
    for tool in TOOLS:
        assert tool in lines, f"{tool} not listed"
    assert "(missing)" not in listing
    # "shell" gives a root shell on the console; from it the guest ends qemu
    vm.child.sendline("6")
    vm.expect(r"root@[\w-]+:\S*# ", timeout=120)
    assert vm.verdict(ok=True) == 1


def test_install_entry_asks_on_the_console_and_an_interrupted_install_writes_nothing(
        appliance_image: ApplianceImage) -> None:
    spec = VmSpec(image=appliance_image.iso, disks=1, disk_size="10G")
    with Vm(spec, log_path=serial_log_path("install-entry-interactive", 0), ssh_key=appliance_image.ssh_key) as vm:
        vm.select_boot_entry("2")  # Install, serial console: no ctserver.disk=, no answer file
        vm.expect(r"1\) /dev/vda", timeout=1800)
        vm.expect(r"Install to which disk \[1\]: ", timeout=60)
        assert vm.child is not None
        vm.child.sendline("1")
        vm.expect(r"Administrator password \(empty: a one-time password[^:]*: ", timeout=120)
        vm.child.sendline("typed-secret-2026")
        vm.expect(r"Repeat for confirmation: ", timeout=60)
        assert "typed-secret-2026" not in str(vm.child.before), "the password was echoed"
        vm.child.sendcontrol("c")  # the console's own interrupt: the installer is its foreground
        vm.expect(r"The install did not finish", timeout=120)
        # the login prompt is back on the console (test image: root autologin)
        vm.expect(r"root@[\w-]+:\S*# ", timeout=300)
        vm.child.sendline("blkid -p /dev/vda; echo blank=$?")
        vm.expect(r"blank=2", timeout=60)  # no partition table, no filesystem: nothing written
        assert vm.verdict(ok=True) == 1
