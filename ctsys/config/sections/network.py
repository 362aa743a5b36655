"""`network`: NICs, bonds, VLANs, DNS, bandwidth caps, isolation, port forwards, camera proxy.

Cross-field errors are raised as "@rel.path: reason" so the document layer
reports the exact field (e.g. `network.interfaces[2].gateway4`).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ctsys.config.sections import Section
from ctsys.config.types import Hostname, IPAddress, IPInterface, IPv4Address, Port

Role = Literal["management", "cameras", "corporate", "unused"]
ROLES: tuple[str, ...] = ("management", "cameras", "corporate", "unused")
BondMode = Literal["active-backup", "balance-alb", "balance-rr", "802.3ad"]
MAX_INTERFACES = 10
# Linux interface names: 1-15 characters, no '/', ':' or whitespace.
_IFNAME = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")


def _roles(*roles: Role) -> list[Role]:
    return list(roles)


def _ifname(value: str) -> str:
    if not _IFNAME.match(value):
        raise ValueError(f"{value!r} is not an interface name (1-15 letters, digits, '.', '-', '_')")
    return value


class Bond(Section):
    """Bond parameters; the members are physical NICs used nowhere else."""

    members: list[str] = Field(description="Physical NICs enslaved to the bond (at least one).")
    mode: BondMode = "active-backup"
    miimon: int = Field(100, ge=0, le=10000, description="Link check interval in ms (0: off).")
    primary: str | None = Field(None, description="Preferred member (active-backup only).")
    lacp_rate: Literal["slow", "fast"] = Field("slow", description="802.3ad only.")
    transmit_hash_policy: Literal["layer2", "layer2+3", "layer3+4", "encap2+3", "encap3+4"] = Field(
        "layer2", description="balance-xor/802.3ad only."
    )

    @field_validator("members")
    @classmethod
    def _members(cls, members: list[str]) -> list[str]:
        if not members:
            raise ValueError("a bond needs at least one member NIC")
        for m in members:
            _ifname(m)
        if len(set(members)) != len(members):
            raise ValueError("a NIC is listed twice")
        return members

    @model_validator(mode="after")
    def _primary(self) -> Bond:
        if self.primary is not None:
            if self.primary not in self.members:
                raise ValueError(f"@primary: {self.primary!r} is not a member of the bond")
            if self.mode != "active-backup":
                raise ValueError(f"@primary: a primary member only applies to active-backup, not {self.mode}")
        return self


class Vlan(Section):
    id: int = Field(ge=1, le=4094, description="802.1Q VLAN id (1-4094).")
    link: str = Field(description="Interface (NIC or bond) that carries the VLAN.")

    @field_validator("link")
    @classmethod
    def _link(cls, value: str) -> str:
        return _ifname(value)


class Interface(Section):
    """One configured interface: a physical NIC, a bond (with `bond`) or a VLAN (with `vlan`)."""

    name: str = Field(description="Kernel name: a NIC (eth0, enp3s0), a bond (bond0) or a VLAN (vlan10).")
    role: Role = Field("management", description="Zone of the firewall: management, cameras, corporate, unused.")
    dhcp4: bool = False
    dhcp6: bool = False
    addresses: list[IPInterface] = Field(
        default_factory=list, description="Static addresses, e.g. 10.0.0.2/24, fd00::2/64."
    )
    gateway4: IPv4Address | None = Field(None, description="IPv4 default gateway (one per document).")
    gateway6: IPAddress | None = Field(None, description="IPv6 default gateway (one per document).")
    mtu: int | None = Field(None, ge=68, le=9000, description="MTU (68-9000); empty: the driver's default.")
    egress_mbit: int | None = Field(None, ge=1, le=100000, description="Cap on all traffic sent (Mbit/s).")
    gateway_egress_mbit: int | None = Field(
        None, ge=1, le=100000, description="Cap on traffic sent through the gateway, off-subnet (Mbit/s)."
    )
    bond: Bond | None = None
    vlan: Vlan | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _ifname(value)

    @field_validator("gateway6")
    @classmethod
    def _gw6(cls, value: str | None) -> str | None:
        if value is not None and ipaddress.ip_address(value).version != 6:
            raise ValueError(f"{value!r} is not an IPv6 address")
        return value

    @model_validator(mode="after")
    def _kind(self) -> Interface:
        if self.bond is not None and self.vlan is not None:
            raise ValueError("@vlan: an interface is either a bond or a VLAN, not both")
        if self.bond is not None and self.name in self.bond.members:
            raise ValueError(f"@bond.members: the bond {self.name!r} cannot be its own member")
        for field, version in (("gateway4", 4), ("gateway6", 6)):
            gateway = getattr(self, field)
            if gateway is None:
                continue
            if getattr(self, f"dhcp{version}"):
                raise ValueError(f"@{field}: not allowed with dhcp{version} (the DHCP server gives the gateway)")
            gw = ipaddress.ip_address(gateway)
            nets = [ipaddress.ip_interface(a).network for a in self.addresses]
            if not any(gw in n for n in nets if n.version == version):
                raise ValueError(f"@{field}: {gateway} is outside every subnet of {self.name}")
        if self.gateway_egress_mbit and self.egress_mbit and self.gateway_egress_mbit > self.egress_mbit:
            raise ValueError("@gateway_egress_mbit: cannot exceed egress_mbit (the cap on all traffic)")
        return self

    @property
    def kind(self) -> str:
        return "bond" if self.bond is not None else "vlan" if self.vlan is not None else "ethernet"

    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_interface(a).network for a in self.addresses]


class Dns(Section):
    servers: list[IPAddress] = Field(default_factory=list, description="DNS resolvers.")
    search: list[Hostname] = Field(default_factory=list, description="Search domains.")


class Firewall(Section):
    """Which roles may reach the appliance's own services; everything else is dropped."""

    ssh: list[Role] = Field(default_factory=lambda: _roles("management"), description="Roles allowed to reach SSH.")
    https: list[Role] = Field(
        default_factory=lambda: _roles("management", "corporate"), description="Roles allowed to reach HTTPS."
    )
    snmp: list[Role] = Field(default_factory=lambda: _roles("management"), description="Roles allowed to poll SNMP.")
    ping: list[Role] = Field(
        default_factory=lambda: _roles("management", "corporate", "cameras"), description="Roles that may ping."
    )
    ntp_on_cameras: bool = Field(True, description="Serve NTP to camera networks (cameras keep time).")


class Forward(Section):
    """A server port relayed (nginx stream, no routing) to a device on another network."""

    name: str = Field(description="Short name (lowercase, digits, '-').")
    port: Port = Field(description="Port listened on by the appliance.")
    protocol: Literal["tcp", "udp"] = "tcp"
    target: IPAddress = Field(description="Address of the device.")
    target_port: Port
    allow_from: list[Role] = Field(
        default_factory=lambda: _roles("corporate", "management"), description="Roles allowed to use the forward."
    )

    @field_validator("name")
    @classmethod
    def _n(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"{value!r} is not a name (lowercase letters, digits and '-')")
        return value


class ProxyAuth(Section):
    user: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$")
    password_hash: str = Field(description="crypt(3) hash, e.g. from `openssl passwd -6`.")

    @field_validator("password_hash")
    @classmethod
    def _hash(cls, value: str) -> str:
        if not re.match(r"^\$(y|6|5|apr1|1)\$", value):
            raise ValueError("is not a crypt(3) hash; generate one with `openssl passwd -6`")
        return value


class Proxy(Section):
    """A camera's HTTP admin page, reached over HTTPS on one server port."""

    name: str
    port: Port = Field(description="HTTPS port on the appliance for this camera.")
    camera: IPAddress = Field(description="Camera address (on a camera network).")
    camera_port: Port = 80
    auth: ProxyAuth | None = Field(None, description="Optional basic authentication.")
    allow_from: list[Role] = Field(default_factory=lambda: _roles("corporate", "management"))

    @field_validator("name")
    @classmethod
    def _n(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"{value!r} is not a name (lowercase letters, digits and '-')")
        return value


class NetworkSection(Section):
    """Interfaces (1 to 10), DNS, firewall roles, port forwards, camera proxy, rollback window.

    The default is one DHCP interface `eth0` in the management role.
    """

    interfaces: list[Interface] = Field(
        default_factory=lambda: [Interface(name="eth0", role="management", dhcp4=True)],
        description=f"1 to {MAX_INTERFACES} interfaces.",
    )
    dns: Dns = Field(default_factory=Dns)
    firewall: Firewall = Field(default_factory=Firewall)
    forwards: list[Forward] = Field(default_factory=list)
    proxies: list[Proxy] = Field(default_factory=list)
    rollback_seconds: int = Field(
        120, ge=30, le=3600, description="Window to run `ctsys net confirm` before a change reverts."
    )

    def interface(self, name: str) -> Interface | None:
        return next((i for i in self.interfaces if i.name == name), None)

    def bond_members(self) -> dict[str, str]:
        return {m: i.name for i in self.interfaces if i.bond for m in i.bond.members}

    def physical(self) -> list[str]:
        """Names of the physical NICs the document uses (standalone or in bonds)."""
        found = [i.name for i in self.interfaces if i.kind == "ethernet"]
        found += [m for i in self.interfaces if i.bond for m in i.bond.members]
        return found

    @model_validator(mode="after")
    def _whole(self) -> NetworkSection:
        ifaces = self.interfaces
        if not ifaces:
            raise ValueError("@interfaces: at least one interface is needed")
        if len(ifaces) > MAX_INTERFACES:
            raise ValueError(
                f"@interfaces[{MAX_INTERFACES}]: at most {MAX_INTERFACES} interfaces, got {len(ifaces)}"
            )
        names: dict[str, int] = {}
        for i, iface in enumerate(ifaces):
            if iface.name in names:
                raise ValueError(f"@interfaces[{i}].name: {iface.name!r} is already interfaces[{names[iface.name]}]")
            names[iface.name] = i
        owner: dict[str, int] = {}
        for i, iface in enumerate(ifaces):
            if iface.bond is None:
                continue
            for m in iface.bond.members:
                if m in owner:
                    raise ValueError(
                        f"@interfaces[{i}].bond.members: {m!r} is already a member of "
                        f"{ifaces[owner[m]].name} (a NIC belongs to one bond)"
                    )
                if m in names:
                    raise ValueError(
                        f"@interfaces[{i}].bond.members: {m!r} is also configured alone as interfaces[{names[m]}]"
                    )
                owner[m] = i
        for i, iface in enumerate(ifaces):
            if iface.vlan is None:
                continue
            link = iface.vlan.link
            if link not in names and link not in owner:
                raise ValueError(f"@interfaces[{i}].vlan.link: {link!r} is not an interface of the document")
            if link in owner:
                raise ValueError(f"@interfaces[{i}].vlan.link: {link!r} is a bond member; put the VLAN on the bond")
            if ifaces[names[link]].vlan is not None:
                raise ValueError(f"@interfaces[{i}].vlan.link: {link!r} is itself a VLAN")
            same = [j for j, o in enumerate(ifaces) if o.vlan and o.vlan.link == link and o.vlan.id == iface.vlan.id]
            if same[0] != i:
                raise ValueError(
                    f"@interfaces[{i}].vlan.id: VLAN {iface.vlan.id} on {link} is already interfaces[{same[0]}]"
                )
        self._check_subnets()
        for field in ("gateway4", "gateway6"):
            with_gw = [i for i, iface in enumerate(ifaces) if getattr(iface, field)]
            if len(with_gw) > 1:
                raise ValueError(
                    f"@interfaces[{with_gw[1]}].{field}: only one default gateway is allowed, "
                    f"interfaces[{with_gw[0]}] ({ifaces[with_gw[0]].name}) already has one"
                )
        self._check_ports()
        return self

    def _check_subnets(self) -> None:
        seen: list[tuple[int, int, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
        for i, iface in enumerate(self.interfaces):
            for k, net in enumerate(iface.networks()):
                for j, _, other in seen:
                    if j != i and net.version == other.version and net.overlaps(other):
                        raise ValueError(
                            f"@interfaces[{i}].addresses[{k}]: subnet {net} overlaps {other} of "
                            f"interfaces[{j}] ({self.interfaces[j].name})"
                        )
                seen.append((i, k, net))

    def _check_ports(self) -> None:
        used: dict[tuple[str, int], str] = {}
        entries = [("forwards", i, f.name, f.protocol, f.port) for i, f in enumerate(self.forwards)]
        entries += [("proxies", i, p.name, "tcp", p.port) for i, p in enumerate(self.proxies)]
        names: set[tuple[str, str]] = set()
        for kind, i, name, proto, port in entries:
            if (kind, name) in names:
                raise ValueError(f"@{kind}[{i}].name: {name!r} is used twice")
            names.add((kind, name))
            key = (proto, port)
            if key in used:
                raise ValueError(f"@{kind}[{i}].port: {proto} port {port} is already used by {used[key]}")
            used[key] = f"{kind}[{i}] ({name})"
        users: dict[str, str] = {}
        for i, proxy in enumerate(self.proxies):
            if proxy.auth is None:
                continue
            # One credentials file serves every proxy: a user has one password.
            if users.setdefault(proxy.auth.user, proxy.auth.password_hash) != proxy.auth.password_hash:
                raise ValueError(
                    f"@proxies[{i}].auth.password_hash: user {proxy.auth.user!r} already has another password"
                )

    def uses_relay(self) -> bool:
        return bool(self.forwards or self.proxies)
