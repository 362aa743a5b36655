"""Which interfaces are camera networks, and the merged result of probe and scan there."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

import psutil

from ctsys.config.document import Appliance
from ctsys.discovery import FoundCamera
from ctsys.errors import CtsysError


@dataclass(frozen=True)
class CameraNetwork:
    interface: str
    address: str  # the appliance's IPv4 address there
    subnet: str


def camera_networks(doc: Appliance, only: str | None = None) -> list[CameraNetwork]:
    """IPv4 networks of the interfaces whose role is `cameras` (as they are configured now)."""
    roles = {i.name: i.role for i in doc.network.interfaces}
    if only is not None:
        if only not in roles:
            raise CtsysError(f"{only}: no such interface in the document (interfaces: {', '.join(roles)})")
        if roles[only] != "cameras":
            raise CtsysError(
                f"{only} is in the {roles[only]!r} role: discovery only probes camera networks",
                hint=f"ctsys net ... to give {only} the cameras role, if it is one",
            )
    addrs = psutil.net_if_addrs()
    networks = []
    for name, role in roles.items():
        if role != "cameras" or (only is not None and name != only):
            continue
        for a in addrs.get(name, []):
            if a.family == socket.AF_INET and a.netmask:
                iface = ipaddress.IPv4Interface(f"{a.address}/{a.netmask}")
                networks.append(CameraNetwork(name, a.address, str(iface.network)))
    return networks


def merge(onvif: list[FoundCamera], scanned: list[FoundCamera]) -> list[FoundCamera]:
    """One entry per address: ONVIF identity, plus the open ports the scan found."""
    by_address = {c.address: c for c in onvif}
    for c in scanned:
        known = by_address.get(c.address)
        if known is None:
            by_address[c.address] = c
        else:
            known.open_ports, known.rtsp = c.open_ports, c.rtsp
    return sorted(by_address.values(), key=lambda c: tuple(int(p) for p in c.address.split(".")) if c.address else ())


def discover(networks: list[CameraNetwork], use_scan: bool, timeout: float) -> list[FoundCamera]:
    from ctsys.discovery.scan import scan
    from ctsys.discovery.wsd import probe

    onvif: list[FoundCamera] = []
    scanned: list[FoundCamera] = []
    for net in networks:
        onvif += probe(net.interface, net.address, timeout=timeout)
        if use_scan:
            scanned += [c for c in scan(net.subnet, net.interface) if c.address != net.address]
    return merge(onvif, scanned)
