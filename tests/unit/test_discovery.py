"""Discovery parsing and limits (the network side is in tests/integration/discovery)."""

from __future__ import annotations

import pytest

from ctsys.discovery import FoundCamera
from ctsys.discovery.scan import hosts
from ctsys.discovery.search import merge
from ctsys.discovery.wsd import parse_probe_matches, probe_message
from ctsys.errors import CtsysError

pytestmark = pytest.mark.unit
MID = "0b4a1c2e-0000-4000-8000-000000000001"

REPLY = """<?xml version="1.0"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
 xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"
 xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery">
<s:Header><a:RelatesTo>urn:uuid:{mid}</a:RelatesTo></s:Header>
<s:Body><d:ProbeMatches><d:ProbeMatch>
<a:EndpointReference><a:Address>urn:uuid:cafe</a:Address></a:EndpointReference>
<d:Types>dn:NetworkVideoTransmitter</d:Types>
<d:Scopes>onvif://www.onvif.org/name/Hall_West onvif://www.onvif.org/hardware/XY%20100</d:Scopes>
<d:XAddrs>http://192.0.2.50/onvif/device_service http://[fe80::1]/onvif/device_service</d:XAddrs>
</d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>"""


def test_probe_match_gives_address_name_and_hardware() -> None:
    [cam] = parse_probe_matches(REPLY.format(mid=MID).encode(), MID, "eth1")
    assert (cam.address, cam.name, cam.hardware, cam.endpoint) == ("192.0.2.50", "Hall West", "XY 100", "urn:uuid:cafe")
    assert cam.interface == "eth1" and len(cam.xaddrs) == 2


def test_replies_to_another_probe_or_garbage_are_ignored() -> None:
    assert parse_probe_matches(REPLY.format(mid="other").encode(), MID, "eth1") == []
    assert parse_probe_matches(b"<not xml", MID, "eth1") == []
    assert parse_probe_matches(b"", MID, "eth1") == []


def test_probe_asks_for_network_video_transmitters() -> None:
    message = probe_message(MID).decode()
    assert f"<a:MessageID>urn:uuid:{MID}</a:MessageID>" in message and "dn:NetworkVideoTransmitter" in message


def test_scan_is_bounded_to_local_segments() -> None:
    assert len(hosts("192.0.2.0/24")) == 254
    assert len(hosts("10.0.0.0/22")) == 1022
    with pytest.raises(CtsysError, match="at most a /22"):
        hosts("10.0.0.0/16")
    with pytest.raises(CtsysError, match="only IPv4"):
        hosts("fd00::/120")


def test_merge_keeps_onvif_identity_and_adds_scanned_ports() -> None:
    onvif = [FoundCamera("192.0.2.10", "eth1", "onvif", name="A")]
    scanned = [FoundCamera("192.0.2.10", "eth1", "scan", open_ports=[554], rtsp=True),
               FoundCamera("192.0.2.9", "eth1", "scan", open_ports=[80])]
    merged = merge(onvif, scanned)
    assert [(c.address, c.method, c.open_ports) for c in merged] == [
        ("192.0.2.9", "scan", [80]), ("192.0.2.10", "onvif", [554])
    ]
    assert merged[1].name == "A" and merged[1].rtsp
