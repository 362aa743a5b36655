"""Camera discovery on the camera networks: ONVIF WS-Discovery probes and an RTSP/HTTP port scan.

Both stay on the interfaces whose role is `cameras`: a probe never leaves by the
corporate or management network (multicast TTL 1, bound to the interface).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FoundCamera:
    address: str
    interface: str
    method: str  # "onvif" or "scan"
    name: str = ""
    hardware: str = ""
    location: str = ""
    endpoint: str = ""  # WS-Addressing endpoint reference (stable device id)
    xaddrs: list[str] = field(default_factory=list)  # ONVIF device service URLs
    open_ports: list[int] = field(default_factory=list)
    rtsp: bool = False  # answered an RTSP OPTIONS request
