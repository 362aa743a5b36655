"""What the product subtree publishes: one plain snapshot of the appliance.

Live, it is filled by ctsys.snmp.sources (psutil, storage, recorder); in tests
and benchmarks it is read from a JSON file of the same shape (`--state FILE`).
A field that is None is unknown and its object is absent from the subtree.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, TypeVar


@dataclass
class ApplianceInfo:
    version: str = ""
    image_version: str = ""
    hostname: str = ""
    uptime_seconds: int = 0
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)
    memory_total_bytes: int = 0
    memory_used_percent: float = 0.0
    temperature_celsius: float | None = None


@dataclass
class ServiceInfo:
    name: str
    unit: str
    state: str = "unknown"  # active | inactive | failed | activating | unknown


@dataclass
class DiskInfo:
    name: str
    serial: str = ""
    size_bytes: int = 0
    used_percent: float = 0.0
    smart_health: str = "unknown"  # passed | failed | unknown
    temperature_celsius: float | None = None


@dataclass
class RaidInfo:
    name: str
    level: str = ""
    state: str = "unknown"  # clean | degraded | rebuilding | failed | unknown
    members: int = 0
    failed_members: int = 0


@dataclass
class InterfaceInfo:
    name: str
    role: str = ""
    up: bool = False
    speed_mbps: int = 0


@dataclass
class CameraInfo:
    name: str
    state: str = "unknown"  # recording | connecting | disconnected | disabled | unknown
    fps: float = 0.0
    bitrate_kbps: float = 0.0
    last_disconnect: str = ""  # ISO 8601 UTC, empty when never


@dataclass
class RecorderTotals:
    cameras: int = 0
    cameras_recording: int = 0
    bitrate_kbps: float = 0.0
    written_bytes: int = 0


@dataclass
class State:
    appliance: ApplianceInfo = field(default_factory=ApplianceInfo)
    services: list[ServiceInfo] = field(default_factory=list)
    disks: list[DiskInfo] = field(default_factory=list)
    raids: list[RaidInfo] = field(default_factory=list)
    interfaces: list[InterfaceInfo] = field(default_factory=list)
    cameras: list[CameraInfo] = field(default_factory=list)
    recorder: RecorderTotals = field(default_factory=RecorderTotals)


T = TypeVar("T")


def _build(cls: type[T], data: dict[str, Any]) -> T:
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown key(s) {', '.join(sorted(unknown))}")
    return cls(**data)


def from_dict(data: dict[str, Any]) -> State:
    """A State from its JSON form (a fixture file); unknown keys are refused."""
    app = dict(data.get("appliance", {}))
    if "load" in app:
        app["load"] = tuple(app["load"])
    return State(
        appliance=_build(ApplianceInfo, app),
        services=[_build(ServiceInfo, s) for s in data.get("services", [])],
        disks=[_build(DiskInfo, d) for d in data.get("disks", [])],
        raids=[_build(RaidInfo, r) for r in data.get("raids", [])],
        interfaces=[_build(InterfaceInfo, i) for i in data.get("interfaces", [])],
        cameras=[_build(CameraInfo, c) for c in data.get("cameras", [])],
        recorder=_build(RecorderTotals, data.get("recorder", {})),
    )
