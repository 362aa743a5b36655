"""`ctsys status`: a one-screen summary of the appliance, cheap enough to poll.

Only psutil, the standard library and the run() seam: no document parsing, so it answers fast.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

# The appliance's units, in display order (mirrors ServicesSection.UNITS, without importing it).
UNITS = (
    "ssh.service",
    "nginx.service",
    "ct-recorder.service",
    "snmpd.service",
    "chrony.service",
    "smartmontools.service",
    "lightdm.service",
)
REAL_FILESYSTEMS = {"ext2", "ext3", "ext4", "xfs", "btrfs", "vfat", "f2fs", "zfs"}


@dataclass
class Memory:
    total_bytes: int
    available_bytes: int
    used_percent: float
    swap_used_percent: float


@dataclass
class Volume:
    mountpoint: str
    device: str
    fstype: str
    total_bytes: int
    used_bytes: int
    used_percent: float


@dataclass
class Link:
    name: str
    up: bool
    speed_mbps: int
    mtu: int
    addresses: list[str]


@dataclass
class Status:
    hostname: str
    version: str
    image_version: str
    uptime_seconds: int
    load: tuple[float, float, float]
    cpus: int
    memory: Memory
    services: dict[str, str]
    volumes: list[Volume] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)


# written by the image's base role (roles/base: NAME=, VERSION=)
RELEASE_FILE = "etc/ct-server/image-release"


def image_version(root: str = "/") -> str:
    """The image's build identity written by ctimage (/etc/ct-server/image-release), if any."""
    path = Path(root) / RELEASE_FILE
    try:
        for line in path.read_text().splitlines():
            if line.startswith("VERSION="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "unknown"


def service_states(units: tuple[str, ...] = UNITS) -> dict[str, str]:
    """`systemctl is-active` for every unit in one call; 'unknown' without systemd."""
    if not os.path.isdir("/run/systemd/system") or shutil.which("systemctl") is None:
        return {u: "unknown" for u in units}
    from ctsys.run import run

    # check=False: is-active exits non-zero when any unit is inactive
    states = run(["systemctl", "is-active", *units], check=False, timeout=10).stdout.split()
    if len(states) != len(units):
        return {u: "unknown" for u in units}
    return dict(zip(units, states, strict=True))


def volumes() -> list[Volume]:
    found = []
    for part in psutil.disk_partitions(all=False):
        if part.fstype not in REAL_FILESYSTEMS:
            continue
        try:
            usage = psutil.disk_usage(part.mountpoint)
        except OSError:
            continue
        found.append(Volume(part.mountpoint, part.device, part.fstype, usage.total, usage.used, usage.percent))
    return found


def links() -> list[Link]:
    stats = psutil.net_if_stats()
    addrs = psutil.net_if_addrs()
    out = []
    for name in sorted(stats):
        if name == "lo":
            continue
        st = stats[name]
        addresses = [
            a.address for a in addrs.get(name, []) if a.family in (socket.AF_INET, socket.AF_INET6)
        ]
        out.append(Link(name, st.isup, st.speed, st.mtu, addresses))
    return out


def collect() -> Status:
    from ctsys import __version__

    vm = psutil.virtual_memory()
    swap = psutil.swap_memory()
    return Status(
        hostname=socket.gethostname(),
        version=__version__,
        image_version=image_version(),
        uptime_seconds=int(time.time() - psutil.boot_time()),
        load=os.getloadavg(),
        cpus=os.cpu_count() or 1,
        memory=Memory(vm.total, vm.available, vm.percent, swap.percent),
        services=service_states(),
        volumes=volumes(),
        links=links(),
    )
