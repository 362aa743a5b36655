"""Raise alerts when an appliance service stops or a camera disconnects, clear them when back.

Nothing else reports these two events yet, and the SNMP notifications depend on
them: every minute (ctsys-snmp-watch.timer) the states are compared with the
previous check, kept in var/lib/ctsys/snmp-watch.json, and each transition
raises or clears one alert (which the hooks turn into notifications). The first
check only records, so a boot does not flood the managers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ctsys.alerts import raise_alert
from ctsys.config.document import Appliance
from ctsys.fsutil import write_atomic

STATE_FILE = "var/lib/ctsys/snmp-watch.json"
STOPPED = ("inactive", "failed")


@dataclass
class Snapshot:
    services: dict[str, str] = field(default_factory=dict)  # unit -> active | inactive | failed | ...
    cameras: dict[str, str] = field(default_factory=dict)  # name -> recording | disconnected | ...


def current(doc: Appliance) -> Snapshot:
    """Live states: systemd for the enabled services, the recorder's API for the cameras."""
    from ctsys.services.apply_modules import wanted
    from ctsys.snmp import sources
    from ctsys.status import service_states

    # nginx is watched while the web server or the relays need it
    units = tuple(unit for unit, on in wanted(doc).items() if on)
    try:
        cameras, _ = sources.recorder(doc.services.recorder.api_port)
    except Exception:  # recorder down: its service alert says it; cameras are not judged
        cameras = []
    return Snapshot(service_states(units), {c.name: c.state for c in cameras})


def _load(root: str) -> Snapshot | None:
    try:
        data = json.loads((Path(root) / STATE_FILE).read_text())
        return Snapshot(dict(data["services"]), dict(data["cameras"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def check(root: str, doc: Appliance, now: Snapshot | None = None) -> list[str]:
    """Compare with the previous check; returns one line per alert raised or cleared."""
    now = now if now is not None else current(doc)
    before = _load(root)
    path = Path(root) / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps({"services": now.services, "cameras": now.cameras}, sort_keys=True) + "\n", 0o644)
    if before is None:
        return []
    events = []
    for unit, state in sorted(now.services.items()):
        old = before.services.get(unit)
        if old == "active" and state in STOPPED:
            raise_alert(root, "service", unit, f"{unit} is {state}", "critical")
            events.append(f"service {unit}: {state}")
        elif old in STOPPED and state == "active":
            raise_alert(root, "service", unit, f"{unit} is running again", "info", "cleared")
            events.append(f"service {unit}: active again")
    for name, state in sorted(now.cameras.items()):
        old = before.cameras.get(name)
        if old == "recording" and state == "disconnected":
            raise_alert(root, "camera", name, f"camera {name} stopped sending video", "warning")
            events.append(f"camera {name}: disconnected")
        elif old == "disconnected" and state == "recording":
            raise_alert(root, "camera", name, f"camera {name} sends video again", "info", "cleared")
            events.append(f"camera {name}: back")
    return events
