"""Field types shared by the document's sections, with messages that name the value."""

from __future__ import annotations

import ipaddress
import re
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


def _ipv4_interface(value: str) -> str:
    try:
        if "/" not in value:
            raise ValueError
        ipaddress.IPv4Interface(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 address/prefix") from None
    return value


def _ipv6_interface(value: str) -> str:
    try:
        if "/" not in value:
            raise ValueError
        ipaddress.IPv6Interface(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv6 address/prefix") from None
    return value


def _ip_address(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address") from None
    return value


def _ipv4_address(value: str) -> str:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 address") from None
    return value


def _ip_network(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(f"{value!r} is not an IP subnet (address/prefix)") from None
    return value


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
IPAddress = Annotated[str, AfterValidator(_ip_address)]
IPv4Address = Annotated[str, AfterValidator(_ipv4_address)]
IPNetwork = Annotated[str, AfterValidator(_ip_network)]
TimeZone = Annotated[str, AfterValidator(_timezone)]
Port = Annotated[int, Field(ge=1, le=65535)]
