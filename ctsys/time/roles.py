"""Interface roles from the `network` section, read defensively.

The network section is written by another part of the project and its fields
may not exist yet: every field is looked up by name and a missing one means
"no such interface", never an error. Both time (NTP server) and SNMP
(listening addresses) ask which interfaces carry a role.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from ctsys.config.document import Appliance


@dataclass(frozen=True)
class RoleInterface:
    name: str
    role: str
    addresses: tuple[str, ...] = field(default_factory=tuple)  # "10.1.0.1/24" forms
    dhcp4: bool = False  # an address known only at run time
    dhcp6: bool = False

    def networks(self) -> list[str]:
        nets = []
        for addr in self.addresses:
            try:
                nets.append(str(ipaddress.ip_interface(addr).network))
            except ValueError:
                continue
        return nets

    def ips(self) -> list[str]:
        out = []
        for addr in self.addresses:
            try:
                out.append(str(ipaddress.ip_interface(addr).ip))
            except ValueError:
                continue
        return out


def _entries(network: Any) -> list[tuple[str, dict[str, Any]]]:
    """(name, fields) for every interface-like entry the network section has."""
    data = network.model_dump(mode="json") if hasattr(network, "model_dump") else network
    if not isinstance(data, dict):
        return []
    found: list[tuple[str, dict[str, Any]]] = []
    for key in ("interfaces", "bonds", "vlans", "bridges"):
        group = data.get(key)
        if isinstance(group, dict):
            found.extend((str(n), v) for n, v in group.items() if isinstance(v, dict))
        elif isinstance(group, list):
            for item in group:
                if isinstance(item, dict):
                    found.append((str(item.get("name", "")), item))
    return [(n, v) for n, v in found if n]


def _addresses(entry: dict[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    for key in ("addresses", "address", "ipv4", "ipv6"):
        value = entry.get(key)
        if isinstance(value, str) and value:
            out.append(value)
        elif isinstance(value, list):
            out.extend(v for v in value if isinstance(v, str))
    return tuple(out)


def interfaces(doc: Appliance) -> list[RoleInterface]:
    out = []
    for name, entry in _entries(doc.network):
        roles = entry.get("roles", entry.get("role"))
        if isinstance(roles, str):
            roles = [roles]
        if not isinstance(roles, list):
            continue
        for role in roles:
            if isinstance(role, str):
                out.append(
                    RoleInterface(name, role, _addresses(entry), entry.get("dhcp4") is True, entry.get("dhcp6") is True)
                )
    return out


def with_roles(doc: Appliance, roles: list[str] | tuple[str, ...]) -> list[RoleInterface]:
    """Interfaces carrying any of `roles`, in document order, each name once."""
    seen: set[str] = set()
    out = []
    for iface in interfaces(doc):
        if iface.role in roles and iface.name not in seen:
            seen.add(iface.name)
            out.append(iface)
    return out


def role_of(doc: Appliance) -> dict[str, str]:
    """Interface name -> its first role (for the SNMP interface table)."""
    out: dict[str, str] = {}
    for iface in interfaces(doc):
        out.setdefault(iface.name, iface.role)
    return out
