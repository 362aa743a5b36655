"""Refuse a change that would cut the administrator's own SSH session (unless --force)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ctsys.config.document import Appliance


@dataclass(frozen=True)
class Session:
    client: str
    client_port: int
    server: str
    server_port: int

    @classmethod
    def parse(cls, ssh_connection: str) -> Session | None:
        """From $SSH_CONNECTION: 'client_ip client_port server_ip server_port'."""
        parts = ssh_connection.split()
        if len(parts) != 4:
            return None
        try:
            client = str(ipaddress.ip_address(parts[0].split("%")[0]))
            server = str(ipaddress.ip_address(parts[2].split("%")[0]))
            return cls(client, int(parts[1]), server, int(parts[3]))
        except ValueError:
            return None

    def describe(self) -> str:
        return f"your SSH session from {self.client} to {self.server} port {self.server_port}"


def _carrier(kernel: dict[str, list[str]], server: str) -> str | None:
    ip = ipaddress.ip_address(server)
    for name, addrs in kernel.items():
        if any(ipaddress.ip_interface(a).ip == ip for a in addrs):
            return name
    return None


def cut_reason(new: Appliance, session: Session, kernel: dict[str, list[str]]) -> str | None:
    """Why `new` would cut `session` (None if it keeps it). kernel: interface -> addresses now."""
    server = ipaddress.ip_address(session.server)
    client = ipaddress.ip_address(session.client)
    if server.is_loopback:
        return None
    name = _carrier(kernel, session.server)
    if name is None:
        return None  # the session does not come through an interface we know
    iface = new.network.interface(name)
    if iface is None:
        if name in new.network.bond_members():
            return f"{name} would become a member of bond {new.network.bond_members()[name]}, losing {server}"
        return f"{name}, which carries {server}, would no longer be configured"
    if iface.role == "unused":
        return f"{name}, which carries {server}, would be set to role 'unused' (down)"
    dhcp = iface.dhcp4 if server.version == 4 else iface.dhcp6
    static = [ipaddress.ip_interface(a) for a in iface.addresses]
    if not dhcp and server not in [a.ip for a in static]:
        return f"address {server} would be removed from {name}"
    on_link = any(client in a.network for a in static)
    gateway = iface.gateway4 if server.version == 4 else iface.gateway6
    if not dhcp and not on_link and gateway is None:
        return f"the route to {client} would be lost: it is not on a subnet of {name} and {name} would have no gateway"
    services = new.services
    if not services.ssh.enabled:
        return "SSH would be disabled"
    if services.ssh.port != session.server_port:
        return f"SSH would move from port {session.server_port} to {services.ssh.port}"
    if iface.role not in new.network.firewall.ssh:
        return f"the firewall would drop SSH from role {iface.role!r} ({name})"
    return None
