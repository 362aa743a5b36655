"""Disk arrival and removal, recorded in the journal (the service's stdout goes there).

A removed disk that carried a data volume or an array member also raises a
`disk` alert, since the recorder loses that space.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DiskEvent:
    action: str  # add, remove
    device: str
    model: str | None
    serial: str | None
    bus: str | None

    def message(self) -> str:
        what = " ".join(x for x in (self.model, f"serial {self.serial}" if self.serial else None) if x)
        verb = {"add": "disk arrived", "remove": "disk removed"}.get(self.action, f"disk {self.action}")
        return f"{verb}: {self.device}" + (f" ({what})" if what else "") + (f" on {self.bus}" if self.bus else "")


def event_from_properties(action: str, props: dict[str, str]) -> DiskEvent | None:
    """A DiskEvent from a udev event's properties; None for partitions, loop, ram and CD devices."""
    if props.get("DEVTYPE") != "disk" or props.get("SUBSYSTEM", "block") != "block":
        return None
    name = props.get("DEVNAME", "")
    if any(name.startswith(f"/dev/{p}") for p in ("loop", "ram", "zram", "sr", "md", "dm-")):
        return None
    if action not in ("add", "remove"):
        return None
    return DiskEvent(
        action,
        name,
        props.get("ID_MODEL"),
        props.get("ID_SERIAL_SHORT") or props.get("ID_SERIAL"),
        props.get("ID_BUS"),
    )


def journal_line(event: DiskEvent) -> str:
    # sd-daemon priority prefix: <4> warning for a removal, <5> notice for an arrival.
    return ("<4>" if event.action == "remove" else "<5>") + event.message()


WATCHING = "<6>watching block devices for disk arrival and removal"


def monitor(on_event: Callable[[DiskEvent], None] | None = None) -> None:
    """Block forever, printing one journal line per disk event."""
    import pyudev

    context = pyudev.Context()
    udev_monitor = pyudev.Monitor.from_netlink(context)
    udev_monitor.filter_by(subsystem="block", device_type="disk")
    udev_monitor.start()
    # From here on every disk event is received: the line says so (tests and operators
    # wait for it after a restart; the unit stays Type=simple so boot does not wait).
    print(WATCHING, flush=True)
    for device in iter(udev_monitor.poll, None):
        props = {str(k): str(v) for k, v in device.properties.items()}
        event = event_from_properties(device.action or "", props)
        if event is None:
            continue
        print(journal_line(event), flush=True)
        if on_event is not None:
            on_event(event)
    sys.exit(0)
