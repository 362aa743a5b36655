"""RAID and SMART on a booted appliance (qemu): this host's kernel has no md driver,
and only qemu's ide-hd and nvme devices answer SMART (virtio-blk does not).

The member disks are files of the test (not the harness's scratch disks), so a
second boot can find the array again with one member missing.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.system.harness import Vm, VmError

pytestmark = [pytest.mark.system, pytest.mark.timeout(3600)]


def make_disk(path: Path, size: str = "1G") -> Path:
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), size], check=True)
    return path


def virtio_disk(device_id: str, path: Path) -> tuple[str, ...]:
    # The serial is what `ctsys` is told: disk names (vda, vdb) follow PCI order.
    return (
        "-drive",
        f"if=none,id={device_id}-drive,format=qcow2,file={path}",
        "-device",
        f"virtio-blk-pci,id={device_id},drive={device_id}-drive,serial={device_id.upper()}",
    )


def poll(vm: Vm, command: str, pattern: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    out = ""
    while time.monotonic() < deadline:
        _, out = vm.run(command, timeout=120)
        if re.search(pattern, out):
            return out
        time.sleep(3)
    raise VmError(f"`{command}` never matched {pattern!r}; last output:\n{out}")


def json_out(vm: Vm, command: str, timeout: float = 180) -> object:
    out = vm.check(command, timeout=timeout)
    return json.loads(out[out.index("[") if out.lstrip().startswith("[") else out.index("{") :])


def raid_state(vm: Vm) -> dict[str, dict]:
    return {a["name"]: a for a in json_out(vm, "ctsys raid status --json")}  # type: ignore[union-attr]


def test_raid1_fail_replace_resync_and_boot_degraded(boot_vm, tmp_path: Path) -> None:
    a, b, spare = (make_disk(tmp_path / f"{n}.qcow2") for n in ("ra", "rb", "rc"))
    extra = virtio_disk("ra", a) + virtio_disk("rb", b) + virtio_disk("rc", spare)
    vm = boot_vm(memory_mib=1536, extra_args=extra)
    vm.check("dmesg -n 1")  # keep kernel messages off the console we parse

    # bad input first: too few disks, nothing created
    rc, out = vm.run("ctsys raid create --level 5 RA RB")
    assert rc == 1 and "RAID 5 needs at least 3 disks, 2 given" in out
    assert vm.check("cat /proc/mdstat | grep -c '^md' || true") == "0"

    out = vm.check("ctsys raid create --level 1 RA RB --wait", timeout=900)
    assert "ctdata-1 mounted at /srv/ctdata/1" in out
    md0 = raid_state(vm)["md0"]
    assert md0["state"] == "clean" and md0["level"] == "raid1" and md0["configured"]
    assert "ARRAY /dev/md0 metadata=1.2 UUID=" in vm.check("cat /etc/mdadm/mdadm.conf")
    vm.check("echo proof > /srv/ctdata/1/recordings/proof.txt && sync")

    # pull member RB out of the running machine: the array degrades and an alert is raised
    vm.monitor("device_del rb")
    vm.run("dd if=/dev/urandom of=/srv/ctdata/1/recordings/io.bin bs=1M count=4 conv=fsync", timeout=120)
    poll(vm, "ctsys raid status --json", r'"state": "degraded"', 120)
    poll(vm, "journalctl -t ctsys-alert -o cat --no-pager", r"raid raised: md0: (Fail|DegradedArray)", 180)
    # the hotplug monitor recorded the removal in the journal
    poll(vm, "journalctl -u ctsys-storage-hotplug -o cat --no-pager", r"disk removed: /dev/vd\w+ \(serial RB\)", 60)

    # replace the missing member by RC and watch the rebuild reach clean
    out = vm.check("ctsys raid replace md0 failed RC --wait", timeout=900)
    assert "recovery started" in out
    md0 = raid_state(vm)["md0"]
    assert md0["state"] == "clean" and md0["failed"] == []
    assert "proof" in vm.check("cat /srv/ctdata/1/recordings/proof.txt")
    vm.check("sync")
    vm.kill()

    # boot again with RA only (RB is gone, RC left out): the array assembles, degraded,
    # and the reinstalled (live, empty) system adopts its data volume by the marker
    vm = boot_vm(memory_mib=1536, extra_args=virtio_disk("ra", a))
    vm.check("dmesg -n 1")
    out = poll(vm, "cat /proc/mdstat", r"md\d+ : active", 180)
    assert re.search(r"\[2/1\]", out), out
    states = raid_state(vm)
    (array,) = states.values()
    assert array["state"] == "degraded"
    # the first-boot unit may have adopted it already (it waits for arrays to start)
    out = vm.check("ctsys storage adopt", timeout=300)
    assert re.search(r"ctdata-1 (added|known)", out), out
    assert vm.run("mountpoint -q /srv/ctdata/1")[0] == 0
    assert "proof" in vm.check("cat /srv/ctdata/1/recordings/proof.txt")


def test_smart_from_qemu_ide_and_nvme_disks(boot_vm, tmp_path: Path) -> None:
    ide, nvme = make_disk(tmp_path / "ide.qcow2"), make_disk(tmp_path / "nvme.qcow2")
    extra = (
        "-drive",
        f"if=none,id=ide-drive,format=qcow2,file={ide}",
        "-device",
        "ide-hd,drive=ide-drive,serial=QM00005",
        "-drive",
        f"if=none,id=nvme-drive,format=qcow2,file={nvme}",
        "-device",
        "nvme,drive=nvme-drive,serial=CTNVME0",
    )
    vm = boot_vm(memory_mib=1536, extra_args=extra)
    vm.check("dmesg -n 1")
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
