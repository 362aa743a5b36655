"""Field types shared by the document's sections, with messages that name the value."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, Field

_HOSTNAME_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _hostname(value: str) -> str:
    if not value or len(value) > 253 or not all(_HOSTNAME_LABEL.match(p) for p in value.split(".")):
        raise ValueError(
            f"{value!r} is not a valid host name (letters, digits and '-', labels of 1-63 "
            "characters, not starting or ending with '-')"
        )
    return value


def _address_check(parse: Callable[[str], object], what: str, needs_prefix: bool = False) -> Callable[[str], str]:
    """A validator that accepts what `parse` accepts and names the value otherwise."""

    def check(value: str) -> str:
        try:
            if needs_prefix and "/" not in value:
                raise ValueError
            parse(value)
        except ValueError:
            raise ValueError(f"{value!r} is not {what}") from None
        return value

    return check


_ipv4_interface = _address_check(ipaddress.IPv4Interface, "an IPv4 address/prefix", needs_prefix=True)
_ipv6_interface = _address_check(ipaddress.IPv6Interface, "an IPv6 address/prefix", needs_prefix=True)
_ip_interface = _address_check(ipaddress.ip_interface, "an IPv4 or IPv6 address/prefix", needs_prefix=True)
_ip_address = _address_check(ipaddress.ip_address, "an IP address")
_ipv4_address = _address_check(ipaddress.IPv4Address, "an IPv4 address")
_ip_network = _address_check(
    lambda v: ipaddress.ip_network(v, strict=False), "an IP subnet (address/prefix)"
)


_ROLE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


def check_role_names(roles: list[str]) -> list[str]:
    """Interface role names (as `network` gives them) in a list field; the bad one is named by index."""
    for i, role in enumerate(roles):
        if not _ROLE_NAME.match(role):
            raise ValueError(f"roles[{i}]: {role!r} is not an interface role name")
    return roles


@lru_cache(maxsize=1)
def known_timezones() -> frozenset[str]:
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


def _timezone(value: str) -> str:
    zones = known_timezones()
    if value not in zones and value != "UTC":
        from difflib import get_close_matches

        close = get_close_matches(value, sorted(zones), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"{value!r} is not a time zone of the tz database{hint}")
    return value


Hostname = Annotated[str, AfterValidator(_hostname)]
IPv4Interface = Annotated[str, AfterValidator(_ipv4_interface)]
IPv6Interface = Annotated[str, AfterValidator(_ipv6_interface)]
IPInterface = Annotated[str, AfterValidator(_ip_interface)]
IPAddress = Annotated[str, AfterValidator(_ip_address)]
IPv4Address = Annotated[str, AfterValidator(_ipv4_address)]
IPNetwork = Annotated[str, AfterValidator(_ip_network)]
TimeZone = Annotated[str, AfterValidator(_timezone)]
Port = Annotated[int, Field(ge=1, le=65535)]
