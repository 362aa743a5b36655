"""Time synchronisation state from chronyd: `chronyc -c tracking` and `chronyc -c sources`.

The CSV forms (-c) are parsed, never the human tables. Reachability is the
8-sample register chronyd keeps per source (octal in its output).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ctsys.errors import CommandError
from ctsys.run import run

SOURCE_MODES = {"^": "server", "=": "peer", "#": "refclock"}
SOURCE_STATES = {
    "*": "selected",
    "+": "combined",
    "-": "not-combined",
    "?": "unusable",
    "x": "falseticker",
    "~": "too-variable",
}


@dataclass
class Source:
    mode: str
    state: str
    address: str
    stratum: int
    poll: int
    reach: int  # the register, as a number (0o377: the last 8 polls answered)
    reached_of_8: int
    last_rx_seconds: int | None
    offset_seconds: float
    error_seconds: float


@dataclass
class Tracking:
    reference_id: str
    reference: str
    stratum: int
    reference_time: float
    offset_seconds: float  # system time minus NTP time, as chronyd currently corrects it
    last_offset_seconds: float
    rms_offset_seconds: float
    frequency_ppm: float
    skew_ppm: float
    root_delay_seconds: float
    root_dispersion_seconds: float
    update_interval_seconds: float
    leap_status: str


@dataclass
class TimeStatus:
    running: bool
    synchronised: bool
    tracking: Tracking | None = None
    sources: list[Source] = field(default_factory=list)
    error: str | None = None


def _chronyc(socket: str | None) -> list[str]:
    return ["chronyc", "-c", "-n", *(["-h", socket] if socket else [])]


def parse_tracking(text: str) -> Tracking:
    line = text.strip().splitlines()[0]
    f = line.split(",")
    if len(f) < 14:
        raise ValueError(f"chronyc tracking: expected 14 fields, got {len(f)}: {line!r}")
    return Tracking(
        reference_id=f[0],
        reference=f[1],
        stratum=int(f[2]),
        reference_time=float(f[3]),
        offset_seconds=float(f[4]),
        last_offset_seconds=float(f[5]),
        rms_offset_seconds=float(f[6]),
        frequency_ppm=float(f[7]),
        skew_ppm=float(f[9]),
        root_delay_seconds=float(f[10]),
        root_dispersion_seconds=float(f[11]),
        update_interval_seconds=float(f[12]),
        leap_status=f[13],
    )


def parse_sources(text: str) -> list[Source]:
    out = []
    for line in text.strip().splitlines():
        f = line.split(",")
        if len(f) < 10:
            continue
        reach = int(f[5], 8)
        out.append(
            Source(
                mode=SOURCE_MODES.get(f[0], f[0]),
                state=SOURCE_STATES.get(f[1], f[1]),
                address=f[2],
                stratum=int(f[3]),
                poll=int(f[4]),
                reach=reach,
                reached_of_8=bin(reach & 0xFF).count("1"),
                # chronyd prints a huge number for a source never heard from.
                last_rx_seconds=int(f[6]) if f[6].isdigit() and int(f[6]) < 2**31 else None,
                offset_seconds=float(f[7]),
                error_seconds=float(f[9]),
            )
        )
    return out


def synchronised(tracking: Tracking) -> bool:
    """chronyd's view: a reference other than none and a known leap status."""
    return tracking.leap_status != "Not synchronised" and tracking.reference_id not in ("00000000", "7F7F0101")


def collect(socket: str | None = None) -> TimeStatus:
    try:
        tracking = parse_tracking(run([*_chronyc(socket), "tracking"], timeout=10).stdout)
        sources = parse_sources(run([*_chronyc(socket), "sources"], timeout=10).stdout)
    except CommandError as exc:
        return TimeStatus(running=False, synchronised=False, error=exc.stderr.strip() or str(exc))
    except (ValueError, IndexError) as exc:
        return TimeStatus(running=True, synchronised=False, error=str(exc))
    return TimeStatus(True, synchronised(tracking), tracking, sources)
