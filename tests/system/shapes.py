"""The hardware of the shared Live VM (tests/system/conftest.py `shared_vm`): a
superset of what the system tests that share it need, so they join one boot
instead of each booting their own (about 80-100 s each under TCG).

- net0: user-mode NIC (eth0, DHCP, SSH forwarded to 127.0.0.1), from VmSpec
- m1, m2, peer: three virtio NICs on qemu hub 1 (eth1, eth2: bond members; eth3:
  the switch side, moved into a namespace of the guest by the bond test)
- cam, camprobe: two virtio NICs on qemu hub 2 (the camera network: the
  security test gives `cam` the cameras role and moves `camprobe` into a
  namespace of the guest, a camera's side of the wire)
- RA, RB, RC: blank virtio disks for RAID (by serial; RC is the spare)
- QM00005 (IDE) and CTNVME0 (NVMe): blank disks that answer SMART
"""

from __future__ import annotations

import subprocess
from pathlib import Path

HUB_NICS = ("m1", "m2", "peer")
CAMERA_NICS = {"cam": "52:54:00:c7:02:01", "camprobe": "52:54:00:c7:02:02"}
RAID_DISKS = ("ra", "rb", "rc")


def make_disk(path: Path, size: str = "1G") -> Path:
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), size], check=True)
    return path


def hub_nics() -> tuple[str, ...]:
    return tuple(
        arg
        for i, dev in enumerate(HUB_NICS, start=1)
        for arg in ("-netdev", f"hubport,id=hub{dev},hubid=1",
                    "-device", f"virtio-net-pci,id={dev},netdev=hub{dev},mac=52:54:00:c7:01:{i:02x}")
    )


def camera_nics() -> tuple[str, ...]:
    return tuple(
        arg
        for dev, mac in CAMERA_NICS.items()
        for arg in ("-netdev", f"hubport,id=hub{dev},hubid=2",
                    "-device", f"virtio-net-pci,id={dev},netdev=hub{dev},mac={mac}")
    )


def virtio_disk(device_id: str, path: Path) -> tuple[str, ...]:
    # The serial is what `ctsys` is told: disk names (vda, vdb) follow PCI order.
    return (
        "-drive", f"if=none,id={device_id}-drive,format=qcow2,file={path}",
        "-device", f"virtio-blk-pci,id={device_id},drive={device_id}-drive,serial={device_id.upper()}",
    )


def smart_disks(ide: Path, nvme: Path) -> tuple[str, ...]:
    return (
        "-drive", f"if=none,id=ide-drive,format=qcow2,file={ide}",
        "-device", "ide-hd,drive=ide-drive,serial=QM00005",
        "-drive", f"if=none,id=nvme-drive,format=qcow2,file={nvme}",
        "-device", "nvme,drive=nvme-drive,serial=CTNVME0",
    )


def shared_shape(work: Path) -> tuple[dict[str, Path], tuple[str, ...]]:
    """The disk files (by device id) and the qemu arguments of the shared VM."""
    disks = {name: make_disk(work / f"{name}.qcow2") for name in (*RAID_DISKS, "ide", "nvme")}
    extra = hub_nics() + camera_nics()
    for name in RAID_DISKS:
        extra += virtio_disk(name, disks[name])
    return disks, extra + smart_disks(disks["ide"], disks["nvme"])
