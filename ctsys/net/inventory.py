"""NIC inventory from netlink (pyroute2) and sysfs, with each NIC's role from the document."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctsys.config.document import Appliance
from ctsys.net.host import NetHost

# Links that are never appliance NICs.
_VIRTUAL_KINDS = {"veth"}


@dataclass
class Nic:
    name: str
    mac: str | None
    kind: str  # ethernet, bond, vlan, veth, loopback, ...
    driver: str | None
    state: str  # operstate: up, down, lowerlayerdown, unknown
    carrier: bool | None
    speed_mbit: int | None
    duplex: str | None
    mtu: int
    addresses: list[str] = field(default_factory=list)
    master: str | None = None
    role: str = "unused"
    configured: bool = False


def _sysfs(sysfs: Path, name: str, attr: str) -> str | None:
    try:
        return (sysfs / "class/net" / name / attr).read_text().strip()
    except OSError:  # absent, or EINVAL for speed on a link that is down
        return None


def _driver(sysfs: Path, name: str) -> str | None:
    link = sysfs / "class/net" / name / "device/driver"
    try:
        return os.path.basename(os.readlink(link))
    except OSError:
        return None


def read_links(host: NetHost) -> list[dict[str, Any]]:
    """Links and addresses from netlink, as plain dicts (the seam tests replace)."""
    from pyroute2 import IPRoute, NetNS

    ipr: Any = NetNS(host.netns) if host.netns else IPRoute()
    try:
        names: dict[int, str] = {}
        links = []
        for msg in ipr.get_links():
            info = msg.get_attr("IFLA_LINKINFO")
            names[msg["index"]] = msg.get_attr("IFLA_IFNAME")
            links.append({
                "index": msg["index"],
                "name": msg.get_attr("IFLA_IFNAME"),
                "mac": msg.get_attr("IFLA_ADDRESS"),
                "kind": info.get_attr("IFLA_INFO_KIND") if info else None,
                "state": (msg.get_attr("IFLA_OPERSTATE") or "unknown").lower(),
                "carrier": msg.get_attr("IFLA_CARRIER"),
                "mtu": msg.get_attr("IFLA_MTU"),
                "master": msg.get_attr("IFLA_MASTER"),
                "loopback": bool(msg["flags"] & 0x8),
                "addresses": [],
            })
        by_index = {link["index"]: link for link in links}
        for msg in ipr.get_addr():
            link = by_index.get(msg["index"])
            if link is not None:
                link["addresses"].append(f"{msg.get_attr('IFA_ADDRESS')}/{msg['prefixlen']}")
        for link in links:
            link["master"] = names.get(link["master"]) if link["master"] else None
        return links
    finally:
        ipr.close()


def inventory(doc: Appliance, host: NetHost | None = None, sysfs: Path = Path("/sys")) -> list[Nic]:
    host = host or NetHost.current()
    net = doc.network
    members = net.bond_members()
    nics = []
    for link in read_links(host):
        if link["loopback"]:
            continue
        name = link["name"]
        kind = link["kind"] or "ethernet"
        # sysfs shows the host's links only: in a namespace, driver and speed are unknown.
        local = host.netns is None
        speed = _sysfs(sysfs, name, "speed") if local else None
        iface = net.interface(name)
        role = iface.role if iface else (f"member of {members[name]}" if name in members else "unused")
        nics.append(Nic(
            name=name,
            mac=link["mac"],
            kind=kind,
            driver=_driver(sysfs, name) if local else None,
            state=link["state"],
            carrier=bool(link["carrier"]) if link["carrier"] is not None else None,
            speed_mbit=int(speed) if speed and speed.lstrip("-").isdigit() and int(speed) > 0 else None,
            duplex=_sysfs(sysfs, name, "duplex") if local else None,
            mtu=link["mtu"],
            addresses=link["addresses"],
            master=link["master"],
            role=role,
            configured=iface is not None or name in members,
        ))
    return sorted(nics, key=lambda n: n.name)


def physical_names(nics: list[Nic]) -> set[str]:
    return {n.name for n in nics if n.kind not in ("bond", "vlan")}


def missing_nics(doc: Appliance, present: set[str]) -> list[tuple[str, str]]:
    """(path, reason) for every physical NIC of the document that this server does not have."""
    problems = []
    shown = ", ".join(sorted(present)) or "none"
    for i, iface in enumerate(doc.network.interfaces):
        if iface.kind == "ethernet" and iface.name not in present:
            problems.append(
                (f"network.interfaces[{i}].name", f"{iface.name!r} is not a NIC of this server (NICs: {shown})")
            )
        if iface.bond is not None:
            for k, m in enumerate(iface.bond.members):
                if m not in present:
                    problems.append((f"network.interfaces[{i}].bond.members[{k}]",
                                     f"{m!r} is not a NIC of this server (NICs: {shown})"))
    return problems


def addresses_by_interface(nics: list[Nic]) -> dict[str, list[str]]:
    return {n.name: list(n.addresses) for n in nics}
