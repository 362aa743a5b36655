"""`time`: NTP sources, how often to synchronise, and the NTP server offered to cameras.

The time zone is not here: it is `system.timezone` (the system section), which
`ctsys time zone` edits. Name resolution of NTP servers is checked by the
command that adds them (a warning), never here: parsing stays offline and pure.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ctsys.config.sections import Section
from ctsys.config.types import IPNetwork, check_role_names

_HOST = re.compile(r"^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?$")
_TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _ntp_host(value: str) -> str:
    import ipaddress

    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    if not _HOST.match(value):
        raise ValueError(f"{value!r} is not a host name or an IP address")
    return value


class NtpSource(Section):
    host: str = Field(description="NTP server or pool: host name or IP address.")
    pool: bool = Field(False, description="A pool name (several servers behind one name).")
    iburst: bool = Field(True, description="Send a burst at start so the first sync takes seconds.")
    prefer: bool = Field(False, description="Prefer this source over the others of equal quality.")

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        return _ntp_host(value)


class SyncSchedule(Section):
    mode: Literal["continuous", "scheduled"] = Field(
        "continuous",
        description="continuous: chronyd polls the sources all the time; scheduled: the sources "
        "are offline and a timer synchronises at the set times.",
    )
    times: list[str] = Field(
        default_factory=lambda: ["03:00"], description="Times of day (HH:MM, local) of scheduled syncs."
    )

    @field_validator("times")
    @classmethod
    def _times(cls, times: list[str]) -> list[str]:
        for i, value in enumerate(times):
            if not _TIME_OF_DAY.match(value):
                raise ValueError(f"times[{i}]: {value!r} is not a time of day HH:MM (00:00-23:59)")
        if len(set(times)) != len(times):
            raise ValueError("the same time appears twice")
        return times

    @model_validator(mode="after")
    def _needs_times(self) -> SyncSchedule:
        if self.mode == "scheduled" and not self.times:
            raise ValueError("@times: scheduled synchronisation needs at least one time of day")
        return self


class NtpServe(Section):
    """The NTP server offered to cameras, which stamp their video with their own clocks."""

    enabled: bool = Field(True, description="Serve time to the allowed clients (by default the networks of "
                          "the interfaces with the cameras role; none: no server socket).")
    allow: list[IPNetwork] = Field(default_factory=list, description="Client subnets allowed to query.")
    roles: list[str] = Field(
        default_factory=lambda: ["cameras"],
        description="Interface roles (network section) whose subnets are allowed and on which the server listens.",
    )
    local_stratum: int = Field(
        10,
        ge=1,
        le=15,
        description="Stratum announced when no upstream source is reachable, so cameras keep "
        "one common clock on an isolated network.",
    )

    @field_validator("roles")
    @classmethod
    def _roles(cls, roles: list[str]) -> list[str]:
        return check_role_names(roles)

    @model_validator(mode="after")
    def _someone_allowed(self) -> NtpServe:
        if self.enabled and not self.allow and not self.roles:
            raise ValueError("@allow: the NTP server is enabled but no subnet nor role is allowed")
        return self


class TimeSection(Section):
    servers: list[NtpSource] = Field(
        default_factory=lambda: [NtpSource(host="pool.ntp.org", pool=True)],
        description="Upstream NTP sources; empty for an isolated site (manual time).",
    )
    sync: SyncSchedule = Field(default_factory=SyncSchedule)
    serve: NtpServe = Field(default_factory=NtpServe)
    makestep_seconds: float = Field(
        1.0,
        gt=0,
        description="At start, step the clock when it is off by more than this (else slew).",
    )

    @model_validator(mode="after")
    def _unique_hosts(self) -> TimeSection:
        seen: set[str] = set()
        for i, source in enumerate(self.servers):
            key = source.host.lower()
            if key in seen:
                raise ValueError(f"@servers[{i}].host: {source.host!r} is listed twice")
            seen.add(key)
        return self
