"""RAID and SMART on a booted appliance (qemu): this host's kernel has no md driver,
and only qemu's ide-hd and nvme devices answer SMART (virtio-blk does not).

Both run on the shared Live VM (tests/system/shapes.py: RA, RB, RC virtio disks,
an IDE and an NVMe disk). The RAID test ends by unplugging its members from it,
so it comes last of the two; a second boot of its own then finds the array again
with one member missing.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.system.conftest import BootVm, SharedMachine
from tests.system.harness import Vm, VmError
from tests.system.shapes import virtio_disk

pytestmark = [pytest.mark.system, pytest.mark.timeout(3600)]


def json_out(vm: Vm, command: str, timeout: float = 180) -> object:
    out = vm.check(command, timeout=timeout)
    return json.loads(out[out.index("[") if out.lstrip().startswith("[") else out.index("{") :])


def raid_state(vm: Vm) -> dict[str, dict]:
    return {a["name"]: a for a in json_out(vm, "ctsys raid status --json")}  # type: ignore[union-attr]


def test_smart_from_qemu_ide_and_nvme_disks(shared_vm: Vm) -> None:
    vm = shared_vm
    # none of the storage units (adopt, fill, replicate, hotplug) failed at boot
    failed = vm.check("systemctl --failed --no-legend --plain")
    assert "ctsys-storage" not in failed and "srv-ctdata" not in failed, failed
    assert vm.check("systemctl is-active ctsys-storage-hotplug.service") == "active"
    disks = {d["serial"]: d for d in json_out(vm, "ctsys disk list --json")}  # type: ignore[union-attr]
    assert disks["QM00005"]["transport"] == "ata" or disks["QM00005"]["transport"] == "sata"
    assert disks["CTNVME0"]["kind"] == "nvme"
    assert disks["QM00005"]["smart"]["available"] and disks["QM00005"]["smart"]["healthy"]
    ide_path, nvme_path = disks["QM00005"]["path"], disks["CTNVME0"]["path"]
    (ata,) = json_out(vm, f"ctsys smart show {ide_path} --json")  # type: ignore[misc]
    assert ata["protocol"] == "ATA" and ata["model"] == "QEMU HARDDISK" and ata["temperature"] is not None
    assert ata["ok"] and ata["power_on_hours"] is not None
    (nv,) = json_out(vm, f"ctsys smart show {nvme_path} --json")  # type: ignore[misc]
    assert nv["protocol"] == "NVMe" and nv["nvme_critical_warning"] == 0 and nv["temperature"] is not None
    out = vm.check(f"ctsys smart test {ide_path}")
    assert "short self-test started" in out


def test_raid1_fail_replace_resync_and_boot_degraded(shared_machine: SharedMachine, shared_vm: Vm,
                                                    boot_vm: BootVm) -> None:
    vm = shared_vm

    # bad input first: too few disks, nothing created
    rc, out = vm.run("ctsys raid create --level 5 RA RB")
    assert rc == 1 and "RAID 5 needs at least 3 disks, 2 given" in out
    # no array yet: md is not even loaded (the initramfs no longer loads it up front)
    assert vm.check("cat /proc/mdstat 2>/dev/null | grep -c '^md' || true") == "0"

    out = vm.check("ctsys raid create --level 1 RA RB --wait", timeout=900)
    assert "ctdata-1 mounted at /srv/ctdata/1" in out
    md0 = raid_state(vm)["md0"]
    assert md0["state"] == "clean" and md0["level"] == "raid1" and md0["configured"]
    assert "ARRAY /dev/md0 metadata=1.2 UUID=" in vm.check("cat /etc/mdadm/mdadm.conf")
    vm.check("echo proof > /srv/ctdata/1/recordings/proof.txt && sync")

    # the create restarted the hotplug monitor: pull RB once it listens again (its line
    # in this invocation's journal), or the removal could fall before it starts
    vm.poll("journalctl _SYSTEMD_INVOCATION_ID=$(systemctl show -P InvocationID ctsys-storage-hotplug) "
            "-o cat --no-pager", r"watching block devices", 180)
    # pull member RB out of the running machine: the array degrades and an alert is raised
    vm.monitor("device_del rb")
    vm.run("dd if=/dev/urandom of=/srv/ctdata/1/recordings/io.bin bs=1M count=4 conv=fsync", timeout=120)
    vm.poll("ctsys raid status --json", r'"state": "degraded"', 120)
    vm.poll("journalctl -t ctsys-alert -o cat --no-pager", r"raid raised: md0: (Fail|DegradedArray)", 180)
    # the hotplug monitor recorded the removal in the journal
    vm.poll("journalctl -u ctsys-storage-hotplug -o cat --no-pager", r"disk removed: /dev/vd\w+ \(serial RB\)", 60)

    # replace the missing member by RC and watch the rebuild reach clean
    out = vm.check("ctsys raid replace md0 failed RC --wait", timeout=900)
    assert "recovery started" in out
    md0 = raid_state(vm)["md0"]
    assert md0["state"] == "clean" and md0["failed"] == []
    assert "proof" in vm.check("cat /srv/ctdata/1/recordings/proof.txt")
    vm.check("sync")
    # take RA and RC out of the shared VM, as a power cut would leave them (the array is
    # stopped first when nothing holds it), so the second boot below can open RA's file
    vm.run("systemctl stop srv-ctdata-1.mount; mdadm --stop /dev/md0", timeout=120)
    for device in ("ra", "rc"):
        vm.monitor(f"device_del {device}")
    deadline = time.monotonic() + 120
    while any(f"{d}-drive" in vm.monitor("info block") for d in ("ra", "rc")):
        if time.monotonic() > deadline:
            raise VmError("RA and RC were not released by the shared VM")
        time.sleep(2)
    a = shared_machine.disks["ra"]

    # boot again with RA only (RB is gone, RC left out): the array assembles, degraded,
    # and the reinstalled (live, empty) system adopts its data volume by the marker
    vm = boot_vm(memory_mib=1536, extra_args=virtio_disk("ra", a))
    vm.check("dmesg -n 1")
    out = vm.poll("cat /proc/mdstat", r"md\d+ : active", 180)
    assert re.search(r"\[2/1\]", out), out
    states = raid_state(vm)
    (array,) = states.values()
    assert array["state"] == "degraded"
    # the first-boot unit may have adopted it already (it waits for arrays to start)
    out = vm.check("ctsys storage adopt", timeout=300)
    assert re.search(r"ctdata-1 (added|known)", out), out
    assert vm.run("mountpoint -q /srv/ctdata/1")[0] == 0
    assert "proof" in vm.check("cat /srv/ctdata/1/recordings/proof.txt")
