"""Isolation: nftables zones from interface roles, and who may reach which service.

The ruleset drops by default on input and forward; forwarding stays off in the
kernel too (sysctl), so camera and corporate networks never route to each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ctsys.config.document import Appliance
from ctsys.config.sections.network import ROLES

NFTABLES_FILE = "/etc/nftables.conf"
# Loaded at boot instead when NFTABLES_FILE does not load (nftables.service drop-in).
FALLBACK_FILE = "/etc/ctsys/net/fallback.nft"
NFTABLES_DROPIN = "/etc/systemd/system/nftables.service.d/ctsys.conf"
# Debian's unit is WantedBy=sysinit.target: this link enables it.
NFTABLES_ENABLED = "/etc/systemd/system/sysinit.target.wants/nftables.service"
SYSCTL_FILE = "/etc/sysctl.d/60-ctsys-net.conf"
# Kernel settings that keep the appliance from routing between its networks.
FORWARDING_SYSCTLS = {
    "net.ipv4.ip_forward": "0",
    "net.ipv6.conf.all.forwarding": "0",
    "net.ipv4.conf.all.rp_filter": "1",
    "net.ipv4.conf.all.accept_redirects": "0",
    "net.ipv6.conf.all.accept_redirects": "0",
    "net.ipv4.conf.all.send_redirects": "0",
}


@dataclass
class Rule:
    comment: str
    roles: list[str]
    protocol: str  # tcp | udp
    port: int


@dataclass
class Ruleset:
    zones: dict[str, list[str]]  # role -> interface names
    rules: list[Rule] = field(default_factory=list)
    ping: list[str] = field(default_factory=list)
    dhcp: list[str] = field(default_factory=list)  # interfaces that need DHCP client replies


def zones(doc: Appliance) -> dict[str, list[str]]:
    """Role -> interface names that carry traffic (bond members are reached through the bond)."""
    out: dict[str, list[str]] = {role: [] for role in ROLES}
    for iface in doc.network.interfaces:
        out[iface.role].append(iface.name)
    return out


def ruleset(doc: Appliance) -> Ruleset:
    net, services = doc.network, doc.services
    fw = net.firewall
    rs = Ruleset(zones=zones(doc), ping=[r for r in fw.ping if r != "unused"])
    if services.ssh.enabled:
        rs.rules.append(Rule("ssh", list(fw.ssh), "tcp", services.ssh.port))
    if services.web.enabled:
        rs.rules.append(Rule("https", list(fw.https), "tcp", services.web.https_port))
        rs.rules.append(Rule("http redirect to https", list(fw.https), "tcp", services.web.http_port))
    if services.snmp.enabled:
        rs.rules.append(Rule("snmp", list(fw.snmp), "udp", services.snmp.port))
    if fw.ntp_on_cameras and services.ntp.enabled:
        rs.rules.append(Rule("ntp for cameras", ["cameras"], "udp", 123))
    for fwd in net.forwards:
        rs.rules.append(Rule(f"forward {fwd.name}", list(fwd.allow_from), fwd.protocol, fwd.port))
    for proxy in net.proxies:
        rs.rules.append(Rule(f"camera proxy {proxy.name}", list(proxy.allow_from), "tcp", proxy.port))
    # A role with no interface gives an empty set, which nft refuses: keep only roles in use.
    for rule in rs.rules:
        rule.roles = [r for r in rule.roles if r != "unused" and rs.zones.get(r)]
    rs.rules = [r for r in rs.rules if r.roles]
    rs.ping = [r for r in rs.ping if rs.zones.get(r)]
    rs.dhcp = [i.name for i in net.interfaces if i.dhcp4 or i.dhcp6]
    return rs


@dataclass
class Fallback:
    """What the fallback ruleset lets in: SSH and DHCP replies on the management interfaces."""

    management: list[str]
    ssh_port: int | None
    dhcp: list[str]


def fallback(doc: Appliance) -> Fallback:
    management = zones(doc)["management"]
    dhcp = [i.name for i in doc.network.interfaces if i.name in management and (i.dhcp4 or i.dhcp6)]
    ssh = doc.services.ssh
    return Fallback(management, ssh.port if ssh.enabled else None, dhcp)


def context(doc: Appliance) -> dict[str, object]:
    return {"ruleset": ruleset(doc), "sysctls": FORWARDING_SYSCTLS, "fallback": fallback(doc),
            "ruleset_file": NFTABLES_FILE, "fallback_file": FALLBACK_FILE}
