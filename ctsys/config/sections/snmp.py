"""`snmp`: the net-snmp agent: who may read (v2c communities, v3 users), where it
listens, what it says about itself, and where notifications go.

Whether snmpd runs, and its port, are `services.snmp.enabled` and `.port`.
Secrets (communities, passphrases) are in the document, which is readable by
root only (mode 0640, history 0600), and in the rendered files (mode 0600).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ctsys.config.sections import Section
from ctsys.config.types import IPNetwork, Port, check_role_names

# Printable ASCII without blanks or quotes: a token snmpd.conf and command lines take as is.
_TOKEN = re.compile(r"^[!#-&(-~]+$")
_USER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
_HOST = re.compile(r"^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$")


def _community(value: str) -> str:
    if not value:
        raise ValueError("a community string cannot be empty")
    if any(c.isspace() for c in value):
        raise ValueError("a community string cannot contain spaces")
    if len(value) > 32 or not _TOKEN.match(value):
        raise ValueError("use 1-32 printable ASCII characters, without quotes")
    return value


def _passphrase(value: str) -> str:
    if len(value) < 8:
        raise ValueError(f"a passphrase needs at least 8 characters (got {len(value)})")
    if len(value) > 64 or not _TOKEN.match(value):
        raise ValueError("use 8-64 printable ASCII characters, without spaces or quotes")
    return value


class Community(Section):
    name: str = Field(description="The v2c community string (read-only access).")
    sources: list[IPNetwork] = Field(description="Subnets allowed to use it, e.g. 10.0.0.0/24.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _community(value)

    @field_validator("sources")
    @classmethod
    def _sources(cls, values: list[str]) -> list[str]:
        if not values:
            raise ValueError("give at least one source subnet (0.0.0.0/0 for any, not advised)")
        return values


class V3User(Section):
    name: str = Field(description="SNMPv3 user name (USM), read-only, authPriv only.")
    auth: Literal["SHA", "SHA-256", "SHA-512"] = Field("SHA", description="Authentication protocol.")
    auth_passphrase: str = Field(description="Authentication passphrase, 8 characters or more.")
    priv: Literal["AES"] = Field("AES", description="Privacy (encryption) protocol: AES (128 bits).")
    priv_passphrase: str = Field(description="Privacy passphrase, 8 characters or more.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _USER.match(value):
            raise ValueError(f"{value!r} is not a user name (letters, digits, '_', '.', '-'; 1-32)")
        return value

    @field_validator("auth_passphrase", "priv_passphrase")
    @classmethod
    def _pass(cls, value: str) -> str:
        return _passphrase(value)


class Manager(Section):
    """A network manager that receives notifications: v2c traps or v3 informs (acknowledged)."""

    host: str = Field(description="Address or host name of the manager.")
    port: Port = 162
    version: Literal["2c", "3"] = "2c"
    community: str | None = Field(None, description="v2c: community the traps carry.")
    user: str | None = Field(None, description="v3: name of an entry of snmp.users the informs use.")

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not _HOST.match(value):
                raise ValueError(f"{value!r} is not a host name or an IP address") from None
        return value

    @field_validator("community")
    @classmethod
    def _community(cls, value: str | None) -> str | None:
        return None if value is None else _community(value)

    @model_validator(mode="after")
    def _credentials(self) -> Manager:
        if self.version == "2c" and not self.community:
            raise ValueError("@community: a v2c manager needs the community its traps carry")
        if self.version == "3" and not self.user:
            raise ValueError("@user: a v3 manager needs a user (an entry of snmp.users)")
        return self


class SnmpSection(Section):
    enterprise_number: int = Field(
        99999,
        ge=1,
        le=2**31 - 1,
        description="IANA private enterprise number under which the product subtree is served.",
    )
    contact: str = Field("", max_length=255, description="sysContact: who to call about this appliance.")
    location: str = Field("", max_length=255, description="sysLocation: where the appliance is.")
    roles: list[str] = Field(
        default_factory=lambda: ["management"],
        description="Interface roles (network section) on whose addresses snmpd listens; 127.0.0.1 always.",
    )
    communities: list[Community] = Field(default_factory=list, description="v2c read-only communities.")
    users: list[V3User] = Field(default_factory=list, description="v3 read-only users (authPriv).")
    managers: list[Manager] = Field(default_factory=list, description="Receivers of notifications.")

    @field_validator("contact", "location")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value or '"' in value:
            raise ValueError("one line of text, without double quotes")
        return value

    @field_validator("roles")
    @classmethod
    def _roles(cls, roles: list[str]) -> list[str]:
        return check_role_names(roles)

    @model_validator(mode="after")
    def _references(self) -> SnmpSection:
        names = [c.name for c in self.communities]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise ValueError(f"@communities[{i}].name: this community is listed twice")
        users = [u.name for u in self.users]
        for i, name in enumerate(users):
            if name in users[:i]:
                raise ValueError(f"@users[{i}].name: user {name!r} is listed twice")
        for i, manager in enumerate(self.managers):
            if manager.version == "3" and manager.user not in users:
                known = ", ".join(users) or "none"
                raise ValueError(f"@managers[{i}].user: no v3 user {manager.user!r} in snmp.users (users: {known})")
        return self

    def user(self, name: str) -> V3User | None:
        return next((u for u in self.users if u.name == name), None)
