"""Raise a `time` alert when the clock loses its NTP synchronisation, clear it when back.

Run every few minutes by ctsys-time-check.timer. The last verdict is kept in
var/lib/ctsys/time-sync.json so an alert is raised once per loss, not at every
check. A site without NTP sources never synchronises and raises nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from ctsys.alerts import raise_alert
from ctsys.config.document import Appliance
from ctsys.fsutil import write_atomic
from ctsys.time.status import TimeStatus, collect

STATE_FILE = "var/lib/ctsys/time-sync.json"
SUBJECT = "chrony.service"


def _previous(root: str) -> bool | None:
    try:
        value = json.loads((Path(root) / STATE_FILE).read_text()).get("synchronised")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, bool) else None


def check(root: str, doc: Appliance, status: TimeStatus | None = None) -> str:
    """Compare with the last check; returns 'raised', 'cleared' or 'unchanged'."""
    if not doc.time.servers or doc.time.sync.mode == "scheduled":
        # No source, or sources offline between scheduled syncs: "unsynchronised" is normal.
        return "unchanged"
    status = status or collect()
    now = status.synchronised
    before = _previous(root)
    path = Path(root) / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps({"synchronised": now}) + "\n", 0o644)
    if before is None:
        before = True  # the first check after installation reports a clock that never synchronised
    if before and not now:
        why = status.error or (status.tracking.leap_status if status.tracking else "no reference")
        raise_alert(root, "time", SUBJECT, f"the clock lost its NTP synchronisation ({why})", "warning")
        return "raised"
    if now and not before:
        reference = status.tracking.reference if status.tracking else "?"
        raise_alert(root, "time", SUBJECT, f"the clock is synchronised again to {reference}", "info", "cleared")
        return "cleared"
    return "unchanged"
