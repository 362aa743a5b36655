"""The netplan YAML (networkd renderer) for the document's interfaces: a pure function."""

from __future__ import annotations

from typing import Any

import yaml

from ctsys.config.document import Appliance
from ctsys.config.sections.network import Interface

NETPLAN_FILE = "/etc/netplan/60-ctsys.yaml"
IMAGE_FALLBACK = "/etc/netplan/90-ct-image-fallback.yaml"


def _common(iface: Interface, doc: Appliance) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if iface.role == "unused":
        # An unused NIC stays down and unconfigured, but networkd still knows it.
        out["link-local"] = []
        out["activation-mode"] = "off"
        return out
    out["dhcp4"] = iface.dhcp4
    out["dhcp6"] = iface.dhcp6
    if not iface.dhcp6:
        out["accept-ra"] = False
    if iface.addresses:
        out["addresses"] = list(iface.addresses)
    routes = []
    if iface.gateway4:
        routes.append({"to": "default", "via": iface.gateway4})
    if iface.gateway6:
        routes.append({"to": "default", "via": iface.gateway6})
    if routes:
        out["routes"] = routes
    dns = doc.network.dns
    # Resolvers go on the interface with the gateway (or the first one): networkd is per link.
    if (dns.servers or dns.search) and iface.name == dns_interface(doc):
        ns: dict[str, Any] = {}
        if dns.servers:
            ns["addresses"] = list(dns.servers)
        if dns.search:
            ns["search"] = list(dns.search)
        out["nameservers"] = ns
    if iface.mtu:
        out["mtu"] = iface.mtu
    # The system waits for management and corporate links at boot, not for camera ones.
    if iface.role == "cameras":
        out["optional"] = True
    return out


def dns_interface(doc: Appliance) -> str:
    ifaces = [i for i in doc.network.interfaces if i.role != "unused"]
    with_gw = [i for i in ifaces if i.gateway4 or i.gateway6]
    return (with_gw or ifaces or doc.network.interfaces)[0].name


def _bond_parameters(iface: Interface) -> dict[str, Any]:
    assert iface.bond is not None
    bond = iface.bond
    params: dict[str, Any] = {"mode": bond.mode, "mii-monitor-interval": bond.miimon}
    if bond.primary:
        params["primary"] = bond.primary
    if bond.mode == "802.3ad":
        params["lacp-rate"] = bond.lacp_rate
        params["transmit-hash-policy"] = bond.transmit_hash_policy
    return params


def netplan_config(doc: Appliance) -> dict[str, Any]:
    net = doc.network
    ethernets: dict[str, Any] = {}
    bonds: dict[str, Any] = {}
    vlans: dict[str, Any] = {}
    members = net.bond_members()
    for iface in net.interfaces:
        if iface.bond is not None:
            for m in iface.bond.members:
                # Members carry no address of their own; they must exist in `ethernets`.
                ethernets[m] = {"dhcp4": False, "dhcp6": False, "accept-ra": False, "link-local": []}
                if iface.mtu:
                    ethernets[m]["mtu"] = iface.mtu
            entry = {"interfaces": list(iface.bond.members), **_common(iface, doc)}
            entry["parameters"] = _bond_parameters(iface)
            bonds[iface.name] = entry
        elif iface.vlan is not None:
            vlans[iface.name] = {"id": iface.vlan.id, "link": iface.vlan.link, **_common(iface, doc)}
        elif iface.name not in members:
            ethernets[iface.name] = _common(iface, doc)
    network: dict[str, Any] = {"version": 2, "renderer": "networkd"}
    if ethernets:
        network["ethernets"] = ethernets
    if bonds:
        network["bonds"] = bonds
    if vlans:
        network["vlans"] = vlans
    return {"network": network}


def render_netplan(doc: Appliance) -> str:
    return yaml.safe_dump(netplan_config(doc), sort_keys=False, default_flow_style=False)
