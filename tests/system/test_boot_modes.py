"""The Diagnostics boot entry replaces the console login by the status and
tools menu (with this boot's one-time administrator password), and the tools
it lists are there."""

from __future__ import annotations

import pytest

from image.qemu import one_time_password
from tests.system.conftest import ApplianceImage
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
