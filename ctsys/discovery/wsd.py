"""A WS-Discovery (ONVIF) probe restricted to one interface.

Why not the `wsdiscovery` package: it probes from every address of the host and
cannot be held to the camera networks; the appliance must not multicast on the
corporate network. The tests use that package as the independent camera-side peer.
"""

from __future__ import annotations

import socket
import struct
import time
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import unquote, urlparse

from ctsys.discovery import FoundCamera

GROUP = ("239.255.255.250", 3702)
NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "d": "http://schemas.xmlsoap.org/ws/2005/04/discovery",
}

PROBE = """<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
 xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"
 xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"
 xmlns:dn="http://www.onvif.org/ver10/network/wsdl">
<s:Header>
<a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>
<a:MessageID>urn:uuid:{message_id}</a:MessageID>
<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>
<a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>
</s:Header>
<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body>
</s:Envelope>"""


def probe_message(message_id: str) -> bytes:
    return PROBE.format(message_id=message_id).encode()


def _scope_value(scopes: list[str], kind: str) -> str:
    prefix = f"onvif://www.onvif.org/{kind}/"
    for scope in scopes:
        if scope.startswith(prefix):
            return unquote(scope[len(prefix) :]).replace("_", " ")
    return ""


def parse_probe_matches(data: bytes, message_id: str, interface: str) -> list[FoundCamera]:
    """ProbeMatch entries of a reply to our probe; anything else (or malformed) gives []."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return []
    relates = root.find("s:Header/a:RelatesTo", NS)
    if relates is None or (relates.text or "").strip() not in (f"urn:uuid:{message_id}", f"uuid:{message_id}"):
        return []
    found = []
    for match in root.iterfind("s:Body/d:ProbeMatches/d:ProbeMatch", NS):
        xaddrs = (match.findtext("d:XAddrs", "", NS) or "").split()
        scopes = (match.findtext("d:Scopes", "", NS) or "").split()
        endpoint = (match.findtext("a:EndpointReference/a:Address", "", NS) or "").strip()
        hosts = [urlparse(x).hostname for x in xaddrs]
        address = next((h for h in hosts if h), "")
        found.append(
            FoundCamera(
                address=address,
                interface=interface,
                method="onvif",
                name=_scope_value(scopes, "name"),
                hardware=_scope_value(scopes, "hardware"),
                location=_scope_value(scopes, "location"),
                endpoint=endpoint,
                xaddrs=xaddrs,
            )
        )
    return found


def probe(interface: str, source: str, timeout: float = 3.0, repeats: int = 2) -> list[FoundCamera]:
    """Multicast a Probe from `source` (an IPv4 address of `interface`) and collect the matches."""
    message_id = str(uuid.uuid4())
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        # Held to the camera interface: bound device, multicast interface, TTL 1 (no router crossing).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(source))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, struct.pack("b", 1))
        sock.bind((source, 0))
        message = probe_message(message_id)
        for _ in range(repeats):
            sock.sendto(message, GROUP)
        found: dict[str, FoundCamera] = {}
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                data, _peer = sock.recvfrom(65535)
            except TimeoutError:
                break
            for camera in parse_probe_matches(data, message_id, interface):
                found.setdefault(camera.endpoint or camera.address, camera)
        return sorted(found.values(), key=lambda c: c.address)
    finally:
        sock.close()
