"""Live figures for the product subtree, from the parts of ctsys that own them.

Every source is read through a small adapter that tolerates its absence or
failure (storage and recorder land separately, and the subagent runs as the
unprivileged Debian-snmp user): a failing source leaves its table empty, or
the value unknown, and the rest is still served.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

from ctsys.snmp.state import (
    ApplianceInfo,
    CameraInfo,
    DiskInfo,
    InterfaceInfo,
    RaidInfo,
    RecorderTotals,
    ServiceInfo,
    State,
)

log = logging.getLogger("ctsys.snmp")
T = TypeVar("T")


def _guarded(what: str, read: Callable[[], T], default: T) -> T:
    try:
        return read()
    except Exception as exc:  # an adapter must never take the whole subtree down
        log.debug("snmp source %s unavailable: %s", what, exc)
        return default


def appliance() -> ApplianceInfo:
    import os
    import socket
    import time

    import psutil

    from ctsys import __version__
    from ctsys.status import image_version

    vm = psutil.virtual_memory()
    return ApplianceInfo(
        version=__version__,
        image_version=image_version(),
        hostname=socket.gethostname(),
        uptime_seconds=int(time.time() - psutil.boot_time()),
        load=os.getloadavg(),
        memory_total_bytes=vm.total,
        memory_used_percent=vm.percent,
        temperature_celsius=_guarded("temperature", _temperature, None),
    )


def _temperature() -> float | None:
    import psutil

    sensors: dict[str, Any] = getattr(psutil, "sensors_temperatures", dict)()
    readings = [t.current for entries in sensors.values() for t in entries if t.current is not None]
    return max(readings) if readings else None


def services(units: dict[str, str]) -> list[ServiceInfo]:
    from ctsys.status import service_states

    states = service_states(tuple(units.values()))
    return [ServiceInfo(name, unit, states.get(unit, "unknown")) for name, unit in units.items()]


DISKS_TTL = 120.0  # SMART queries wake the disks: not at every walk
_disks_cache: tuple[float, list[DiskInfo]] | None = None


def disks() -> list[DiskInfo]:
    """From ctsys.storage's inventory (SMART when readable), cached for DISKS_TTL seconds."""
    import time

    global _disks_cache
    now = time.monotonic()
    if _disks_cache is not None and now - _disks_cache[0] < DISKS_TTL:
        return _disks_cache[1]
    found = _read_disks()
    _disks_cache = (now, found)
    return found


def _read_disks() -> list[DiskInfo]:
    from ctsys.storage import inventory  # type: ignore[attr-defined,unused-ignore]

    out = []
    for disk in inventory.list_disks(smart=True):
        if getattr(disk, "kind", "") == "loop":
            continue
        smart = getattr(disk, "smart", None) or {}
        health = "unknown"
        if smart.get("available") and smart.get("healthy") is not None:
            health = "passed" if smart["healthy"] else "failed"
        out.append(
            DiskInfo(
                name=disk.name,
                serial=getattr(disk, "serial", None) or "",
                size_bytes=int(getattr(disk, "size", 0) or 0),
                used_percent=_used_percent(getattr(disk, "all_mountpoints", [])),
                smart_health=health,
                temperature_celsius=smart.get("temperature"),
            )
        )
    return out


def _used_percent(mountpoints: list[str]) -> float:
    import psutil

    total = used = 0
    for mp in mountpoints:
        try:
            usage = psutil.disk_usage(mp)
        except OSError:
            continue
        total, used = total + usage.total, used + usage.used
    return 100.0 * used / total if total else 0.0


def raids() -> list[RaidInfo]:
    from ctsys.storage import mdstat  # type: ignore[attr-defined,unused-ignore]

    out = []
    for array in mdstat.read_mdstat():
        state = str(getattr(array, "state", "unknown"))
        state = {"recovering": "rebuilding", "resyncing": "rebuilding", "inactive": "failed"}.get(state, state)
        if state in ("checking", "reshaping"):
            state = "clean"
        raid_disks = getattr(array, "raid_disks", None) or len(array.members)
        active = getattr(array, "active_disks", None)
        missing = raid_disks - active if active is not None else len(getattr(array, "failed", []))
        out.append(RaidInfo(array.name, array.level or "", state, raid_disks, max(0, missing)))
    return out


def interfaces(roles: dict[str, str]) -> list[InterfaceInfo]:
    from ctsys.status import links

    return [InterfaceInfo(link.name, roles.get(link.name, ""), link.up, link.speed_mbps) for link in links()]


def recorder(api_port: int) -> tuple[list[CameraInfo], RecorderTotals]:
    """Per-camera statistics from the recorder's HTTP API on 127.0.0.1 (GET /api/stats)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/api/stats", timeout=2) as response:
        data = json.load(response)
    return recorder_from_stats(data)


def recorder_from_stats(data: Any) -> tuple[list[CameraInfo], RecorderTotals]:
    """Cameras and totals from the recorder's stats document (one entry per stream)."""
    streams = data.get("streams", data.get("cameras", [])) if isinstance(data, dict) else data
    cameras: dict[str, CameraInfo] = {}
    written = 0
    for s in streams if isinstance(streams, list) else []:
        name = str(s.get("camera", ""))
        if not name:
            continue
        state = {"recording": "recording", "connected": "recording", "starting": "connecting"}.get(
            str(s.get("state", "")), str(s.get("state", "unknown"))
        )
        if state not in ("recording", "connecting", "disconnected", "disabled"):
            state = "unknown"
        cam = cameras.setdefault(name, CameraInfo(name, state))
        # A camera's main stream gives its rates; further streams only add bit rate.
        if cam.fps == 0.0:
            cam.fps = float(s.get("fps") or 0.0)
        cam.bitrate_kbps += float(s.get("bitrate_kbps") or 0.0)
        cam.last_disconnect = cam.last_disconnect or str(s.get("last_disconnect") or "")
        written += int(s.get("bytes") or 0)
    cams = list(cameras.values())
    totals = RecorderTotals(
        cameras=len(cams),
        cameras_recording=sum(1 for c in cams if c.state == "recording"),
        bitrate_kbps=sum(c.bitrate_kbps for c in cams),
        written_bytes=written,
    )
    return cams, totals


def collect(config: dict[str, Any]) -> State:
    """A fresh snapshot; `config` is the subagent's file (ctsys-agent.json)."""
    nothing: tuple[list[CameraInfo], RecorderTotals] = ([], RecorderTotals())
    cameras, totals = _guarded("recorder", lambda: recorder(int(config.get("recorder_api_port", 8089))), nothing)
    return State(
        appliance=_guarded("appliance", appliance, ApplianceInfo()),
        services=_guarded("services", lambda: services(dict(config.get("services", {}))), []),
        disks=_guarded("disks", disks, []),
        raids=_guarded("raids", raids, []),
        interfaces=_guarded("interfaces", lambda: interfaces(dict(config.get("interface_roles", {}))), []),
        cameras=cameras,
        recorder=totals,
    )
