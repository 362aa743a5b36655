"""Times on the command line: ISO 8601, epoch seconds, `now`, or relative (`-15m`, `-2h`)."""

from __future__ import annotations

import datetime as dt
import re

from ctsys.errors import CtsysError

_RELATIVE = re.compile(r"^-(\d+(?:\.\d+)?)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_time(text: str, now: float) -> float:
    """Epoch seconds. A time without a zone is local time (the appliance's zone)."""
    value = text.strip()
    if value == "now":
        return now
    match = _RELATIVE.match(value)
    if match:
        return now - float(match[1]) * _UNITS[match[2]]
    if re.fullmatch(r"\d{9,11}(\.\d+)?", value):
        return float(value)
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CtsysError(
            f"{text!r} is not a time",
            hint="use ISO 8601 (2026-01-31T08:00Z, '2026-01-31 08:00' local), epoch seconds, "
            "'now' or a relative time like -15m, -2h, -1d",
        ) from None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.timestamp()


def parse_duration(text: str) -> float:
    """Seconds from '90', '90s', '10m', '1h'."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd]?)", text.strip())
    if not match or float(match[1]) <= 0:
        raise CtsysError(f"{text!r} is not a duration (like 90s, 10m, 1h)")
    return float(match[1]) * _UNITS[match[2] or "s"]


def parse_size(text: str) -> int:
    """Bytes from '700M', '4G', '1500000' (powers of 1024 for K/M/G)."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]?)i?B?", text.strip(), re.IGNORECASE)
    if not match or float(match[1]) <= 0:
        raise CtsysError(f"{text!r} is not a size (like 700M, 4G)")
    power = " KMGT".index(match[2].upper() or " ")
    return int(float(match[1]) * 1024**power)


def iso(epoch: float | None) -> str:
    if epoch is None:
        return ""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
