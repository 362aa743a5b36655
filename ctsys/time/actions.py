"""Actions on the running clock: a synchronisation now, and setting the time by hand."""

from __future__ import annotations

import datetime as dt
import logging
import os

from ctsys.errors import CommandError, CtsysError
from ctsys.run import run

log = logging.getLogger("ctsys.time")


def resolves(host: str) -> bool:
    """True when `host` resolves now (getent: the system's resolver, through the run() seam)."""
    return run(["getent", "ahosts", host], check=False, timeout=15).returncode == 0


def sync_now(wait_seconds: int = 60, socket: str | None = None) -> None:
    """Scheduled mode: sources online, a burst, wait for sync, step if needed, offline again."""
    chronyc = ["chronyc", "-n", *(["-h", socket] if socket else [])]
    run([*chronyc, "online"])
    try:
        run([*chronyc, "burst", "4/4"])
        # waitsync TRIES MAX-CORRECTION MAX-SKEW(0: any) INTERVAL: one try a second.
        result = run([*chronyc, "waitsync", str(wait_seconds), "0.1", "0", "1"], check=False, timeout=wait_seconds + 30)
        # Step at once rather than slew for hours after a long offline period. It fails
        # only when chronyd may not touch the clock (-x), which waitsync already judged.
        step = run([*chronyc, "makestep"], check=False)
        if not step.ok:
            log.warning("chronyc makestep: %s", (step.stdout + step.stderr).strip())
        if result.returncode != 0:
            raise CtsysError(
                f"no NTP source answered within {wait_seconds} s",
                hint="check the sources with `ctsys time status` and the network to them",
            )
    finally:
        run([*chronyc, "offline"], check=False)


def parse_when(text: str) -> dt.datetime:
    """'2026-11-28 14:05:00' (local time) or ISO 8601 with an offset."""
    try:
        when = dt.datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise CtsysError(f"{text!r} is not a date and time such as '2026-11-28 14:05:00'") from None
    if when.tzinfo is None:
        when = when.astimezone()  # local time, as the operator reads the wall clock
    return when


def set_clock(when: dt.datetime, socket: str | None = None) -> str:
    """Set the system clock by hand: through chronyd when it runs (its `manual` mode), else date.

    Returns how it was done. Refused while chronyd follows a reachable NTP source:
    it would take the clock back at once.
    """
    from ctsys.time.status import collect

    state = collect(socket)
    if state.running and state.synchronised:
        raise CtsysError(
            "the clock follows an NTP source: a manual setting would be undone",
            hint="remove the NTP servers (`ctsys time server remove`) on a site without NTP",
        )
    utc = when.astimezone(dt.UTC)
    if state.running:
        chronyc = ["chronyc", *(["-h", socket] if socket else [])]
        run([*chronyc, "manual", "on"])
        run([*chronyc, "settime", utc.strftime("%b %d, %Y %H:%M:%S")], env={**os.environ, "TZ": "UTC"})
        return "chronyd"
    run(["date", "--utc", "--set", utc.strftime("%Y-%m-%d %H:%M:%S")])
    try:
        run(["hwclock", "--systohc", "--utc"])
    except CommandError as exc:  # a VM without an RTC: the system clock is set, say so
        log.warning("could not write the hardware clock: %s", exc.stderr.strip())
    return "date"
