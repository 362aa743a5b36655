"""Disk inventory: what block devices exist, what is on them, and what role each plays.

`lsblk -J` gives the device tree (partitions, md arrays as children of their
members, mount points); udev properties (pyudev) fill in the bus when lsblk
has no transport (virtio). Without a udev database (build hosts, containers)
lsblk knows no filesystem types, so `blkid -p` probes those devices directly.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from ctsys.errors import CtsysError
from ctsys.run import run

LSBLK_COLUMNS = (
    "NAME,KNAME,PATH,TYPE,SIZE,MODEL,SERIAL,VENDOR,WWN,ROTA,TRAN,RM,HOTPLUG,RO,"
    "PTTYPE,FSTYPE,LABEL,UUID,PARTLABEL,PARTUUID,MOUNTPOINTS,PKNAME"
)
# A disk holding any of these mount points runs the appliance (installed or live).
SYSTEM_MOUNTS = ("/", "/boot", "/boot/efi", "/usr", "/var", "[SWAP]", "/run/live/medium")
DATA_LABEL_PREFIX = "ctdata-"
RAID_MEMBER = "linux_raid_member"
ROLES = ("system", "data", "raid-member", "removable", "in-use", "free")
UDEV_DB = "/run/udev/data"


@dataclass
class Partition:
    name: str
    path: str
    size: int
    fstype: str | None = None
    label: str | None = None
    uuid: str | None = None
    partlabel: str | None = None
    mountpoints: list[str] = field(default_factory=list)
    holders: list[str] = field(default_factory=list)  # md arrays built on this partition


@dataclass
class Disk:
    name: str
    path: str
    size: int
    model: str | None = None
    serial: str | None = None
    vendor: str | None = None
    wwn: str | None = None
    kind: str = "hdd"  # hdd, ssd, nvme, loop
    transport: str | None = None  # sata, sas, nvme, usb, virtio, ...
    removable: bool = False
    read_only: bool = False
    pttype: str | None = None
    fstype: str | None = None  # a filesystem or RAID superblock on the whole disk
    label: str | None = None
    uuid: str | None = None
    mountpoints: list[str] = field(default_factory=list)
    holders: list[str] = field(default_factory=list)
    partitions: list[Partition] = field(default_factory=list)
    role: str = "free"
    smart: dict[str, Any] | None = None  # filled by list_disks(smart=True)

    @property
    def all_mountpoints(self) -> list[str]:
        found = list(self.mountpoints)
        for part in self.partitions:
            found.extend(part.mountpoints)
        return found

    @property
    def raid_arrays(self) -> list[str]:
        found = list(self.holders)
        for part in self.partitions:
            found.extend(h for h in part.holders if h not in found)
        return found

    @property
    def is_raid_member(self) -> bool:
        return self.fstype == RAID_MEMBER or any(p.fstype == RAID_MEMBER for p in self.partitions)

    @property
    def data_labels(self) -> list[str]:
        labels = [self.label] + [p.label for p in self.partitions]
        return [lbl for lbl in labels if lbl and lbl.startswith(DATA_LABEL_PREFIX)]


def _mounts(node: dict[str, Any]) -> list[str]:
    return [m for m in node.get("mountpoints") or [] if m]


def _holders(node: dict[str, Any]) -> tuple[list[str], list[str]]:
    """md arrays among the children of `node`, and every mount point below those arrays."""
    arrays: list[str] = []
    below: list[str] = []
    for child in node.get("children") or []:
        if str(child.get("type", "")).startswith("raid") or str(child.get("name", "")).startswith("md"):
            arrays.append(child["name"])
            below.extend(_mounts(child))
            for grandchild in child.get("children") or []:
                below.extend(_mounts(grandchild))
    return arrays, below


def _kind(node: dict[str, Any]) -> str:
    if node.get("type") == "loop":
        return "loop"
    if node.get("tran") == "nvme" or str(node.get("name", "")).startswith("nvme"):
        return "nvme"
    return "hdd" if node.get("rota") else "ssd"


def _transport(node: dict[str, Any]) -> str | None:
    tran = node.get("tran")
    if tran:
        return str(tran)
    name = str(node.get("name", ""))
    if name.startswith("vd"):
        return "virtio"
    if name.startswith("nvme"):
        return "nvme"
    if name.startswith("loop"):
        return "loop"
    return None


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def classify(disk: Disk, system_arrays: set[str]) -> str:
    """The disk's role; `system_arrays` are md arrays that hold a system mount point."""
    mounts = disk.all_mountpoints
    if any(m in SYSTEM_MOUNTS for m in mounts) or set(disk.raid_arrays) & system_arrays:
        return "system"
    if disk.is_raid_member or disk.raid_arrays:
        return "raid-member"
    if disk.data_labels:
        return "data"
    if disk.removable or disk.transport == "usb":
        return "removable"
    if mounts or disk.pttype or disk.fstype or disk.partitions:
        return "in-use"
    return "free"


def parse_lsblk(text: str, include_loop: bool = False) -> list[Disk]:
    """Disks from `lsblk -J -b -o LSBLK_COLUMNS` output (tree form)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CtsysError(f"lsblk printed something that is not JSON: {exc}") from None
    wanted = {"disk", "loop"} if include_loop else {"disk"}
    disks: list[Disk] = []
    system_arrays: set[str] = set()
    for node in data.get("blockdevices") or []:
        if node.get("type") not in wanted or str(node.get("name", "")).startswith(("zram", "ram", "fd")):
            continue
        if node.get("type") == "loop" and not int(node.get("size") or 0):
            continue  # an unattached loop device
        holders, below = _holders(node)
        disk = Disk(
            name=node["name"],
            path=node.get("path") or f"/dev/{node['name']}",
            size=int(node.get("size") or 0),
            model=_text(node.get("model")),
            serial=_text(node.get("serial")),
            vendor=_text(node.get("vendor")),
            wwn=_text(node.get("wwn")),
            kind=_kind(node),
            transport=_transport(node),
            removable=bool(node.get("rm")) or (bool(node.get("hotplug")) and node.get("tran") == "usb"),
            read_only=bool(node.get("ro")),
            pttype=node.get("pttype"),
            fstype=node.get("fstype"),
            label=node.get("label"),
            uuid=node.get("uuid"),
            mountpoints=_mounts(node),
            holders=holders,
        )
        if any(m in SYSTEM_MOUNTS for m in below):
            system_arrays.update(holders)
        for child in node.get("children") or []:
            if child.get("type") != "part":
                continue
            part_holders, part_below = _holders(child)
            if any(m in SYSTEM_MOUNTS for m in part_below):
                system_arrays.update(part_holders)
            disk.partitions.append(
                Partition(
                    name=child["name"],
                    path=child.get("path") or f"/dev/{child['name']}",
                    size=int(child.get("size") or 0),
                    fstype=child.get("fstype"),
                    label=child.get("label"),
                    uuid=child.get("uuid"),
                    partlabel=child.get("partlabel"),
                    mountpoints=_mounts(child),
                    holders=part_holders,
                )
            )
        disks.append(disk)
    for disk in disks:
        disk.role = classify(disk, system_arrays)
    return disks


def parse_blkid_export(text: str) -> dict[str, dict[str, str]]:
    """`blkid -p -o export DEV...` -> {devname: {TYPE, UUID, LABEL, PTTYPE, PART_ENTRY_NAME...}}."""
    found: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in [*text.splitlines(), ""]:
        if not line.strip():
            if "DEVNAME" in current:
                found[current["DEVNAME"]] = current
            current = {}
            continue
        key, _, value = line.partition("=")
        current[key.strip()] = value.strip()
    return found


def probe(path: str) -> dict[str, str]:
    """`blkid -p` of one device: TYPE, UUID, LABEL, PTTYPE, PART_ENTRY_NAME... (empty if blank)."""
    # One device per run: given several, blkid stops at the first blank one (exit 2).
    return parse_blkid_export(run(["blkid", "-p", "-o", "export", path], check=False).stdout).get(path, {})


def _fill_from_blkid(disks: list[Disk]) -> None:
    """Without udev, lsblk knows no filesystems: probe the devices directly."""
    for disk in disks:
        info = probe(disk.path)
        disk.pttype = disk.pttype or info.get("PTTYPE")
        disk.fstype = disk.fstype or info.get("TYPE")
        disk.label = disk.label or info.get("LABEL")
        disk.uuid = disk.uuid or info.get("UUID")
        for part in disk.partitions:
            info = probe(part.path)
            part.fstype = part.fstype or info.get("TYPE")
            part.label = part.label or info.get("LABEL")
            part.uuid = part.uuid or info.get("UUID")
            part.partlabel = part.partlabel or info.get("PART_ENTRY_NAME")


def udev_properties(name: str) -> dict[str, str]:
    """udev's properties of /dev/NAME (empty when udev has no database, e.g. build hosts)."""
    try:
        import pyudev

        device = pyudev.Devices.from_name(pyudev.Context(), "block", name)
        return {str(k): str(v) for k, v in device.properties.items()}
    except Exception:  # pyudev raises several unrelated types for a missing device
        return {}


def list_disks(include_loop: bool = False, smart: bool = False, probe: bool | None = None) -> list[Disk]:
    """Every disk with its partitions and role (loop devices only when asked: tests use them).

    `probe`: fill filesystem details with blkid; default: when there is no udev database.
    `smart`: add a SMART summary per disk (slow: one smartctl run per disk).
    """
    text = run(["lsblk", "-J", "-b", "-o", LSBLK_COLUMNS], timeout=30).stdout
    disks = parse_lsblk(text, include_loop=include_loop)
    if probe if probe is not None else not os.path.isdir(UDEV_DB):
        _fill_from_blkid(disks)
        system_arrays = {h for d in disks if d.role == "system" for h in d.raid_arrays}
        for disk in disks:
            disk.role = classify(disk, system_arrays)
    for disk in disks:
        if disk.transport is None:
            bus = udev_properties(disk.name).get("ID_BUS")
            disk.transport = bus or None
    if smart:
        for disk in disks:
            disk.smart = summary_for(disk)
    return disks


def summary_for(disk: Disk) -> dict[str, Any]:
    """The compact summary shown in `ctsys disk list` (virtual disks have no SMART)."""
    if disk.kind == "loop" or disk.transport == "virtio":
        return {"available": False, "reason": f"{disk.transport or disk.kind} disks have no SMART"}
    from ctsys.storage.smart import read_smart

    s = read_smart(disk.path)
    if not s.available:
        return {"available": False, "reason": s.reason}
    return {"available": True, "healthy": s.healthy, "temperature": s.temperature, "problems": s.problems}


def find_disk(name: str, disks: list[Disk] | None = None) -> Disk:
    """The disk called NAME (sdb, /dev/sdb, or a serial number); a clear error if unknown."""
    if disks is None:
        disks = list_disks(include_loop=name.removeprefix("/dev/").startswith("loop"))
    wanted = name.removeprefix("/dev/")
    for disk in disks:
        if wanted in (disk.name, disk.serial) or name == disk.path:
            return disk
    for disk in disks:
        if any(p.name == wanted for p in disk.partitions):
            raise CtsysError(f"{name} is a partition, not a disk", hint=f"name the whole disk: {disk.path}")
    known = ", ".join(d.path for d in disks) or "none"
    raise CtsysError(f"unknown disk {name!r} (disks: {known})", hint="see `ctsys disk list`")


def settle_udev() -> None:
    """Wait (30 s at most) for udev to finish with new block devices: links, labels, lsblk data."""
    run(["udevadm", "settle", "--timeout=30"], check=False, timeout=60)
