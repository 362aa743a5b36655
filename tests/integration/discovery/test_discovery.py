"""Camera discovery between two network namespaces: an appliance and a camera segment.

The camera side answers with the independent `wsdiscovery` package (ONVIF) and
real TCP listeners; the appliance side runs `ctsys camera discover` for real.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.tools import require

pytestmark = pytest.mark.integration
HERE = Path(__file__).parent
VENV = Path(sys.executable).parent


def sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, text=True, timeout=30)


@pytest.fixture
def segment() -> Iterator[dict[str, str]]:
    """srv (10.231.7.1, role cameras) -- veth -- cam (10.231.7.2 and .3); removed afterwards."""
    require("ip")
    tag = uuid.uuid4().hex[:6]
    srv, cam = f"ctd-srv-{tag}", f"ctd-cam-{tag}"
    names = {"srv": srv, "cam": cam, "srv_if": f"ctc{tag}", "cam_if": f"ctk{tag}"}
    sh("ip", "netns", "add", srv)
    try:
        sh("ip", "netns", "add", cam)
        sh("ip", "link", "add", names["srv_if"], "netns", srv, "type", "veth",
           "peer", "name", names["cam_if"], "netns", cam)
        sides = ((srv, names["srv_if"], ["10.231.7.1/24"]), (cam, names["cam_if"], ["10.231.7.2/24", "10.231.7.3/24"]))
        for ns, ifname, addrs in sides:
            for addr in addrs:
                sh("ip", "-n", ns, "addr", "add", addr, "dev", ifname)
            sh("ip", "-n", ns, "link", "set", ifname, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        # Multicast leaves by the segment's interface (the namespace has no default route).
        sh("ip", "-n", cam, "route", "add", "224.0.0.0/4", "dev", names["cam_if"])
        yield names
    finally:
        subprocess.run(["ip", "netns", "del", cam], capture_output=True, timeout=30)
        subprocess.run(["ip", "netns", "del", srv], capture_output=True, timeout=30)


@pytest.fixture
def camera(segment: dict[str, str]) -> Iterator[None]:
    proc = subprocess.Popen(
        ["ip", "netns", "exec", segment["cam"], sys.executable, str(HERE / "camera_peer.py"),
         "--address", "10.231.7.2", "--name", "Gate_Cam", "--onvif", "--seconds", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
        yield
    finally:
        proc.kill()
        proc.wait(10)


def appliance_root(tmp_path: Path, srv_if: str, role: str = "cameras") -> Path:
    root = tmp_path / "root"
    (root / "etc/ctsys").mkdir(parents=True)
    doc = {"network": {"interfaces": [{"name": srv_if, "role": role, "addresses": ["10.231.7.1/24"]}]}}
    (root / "etc/ctsys/appliance.yaml").write_text(yaml.safe_dump(doc))
    return root


def discover(segment: dict[str, str], root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ip", "netns", "exec", segment["srv"], str(VENV / "ctsys"), "--root", str(root), "camera", "discover", *args],
        capture_output=True, text=True, timeout=60,
    )


def test_onvif_camera_is_found_with_its_identity_and_ports(segment, camera, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = appliance_root(tmp_path, segment["srv_if"])
    result = discover(segment, root, "--scan", "--timeout", "2", "--json")
    assert result.returncode == 0, result.stderr
    found = {c["address"]: c for c in json.loads(result.stdout)}
    cam = found["10.231.7.2"]
    assert cam["method"] == "onvif" and cam["name"] == "Gate Cam" and cam["hardware"] == "TestCam-2000"
    assert cam["xaddrs"] == ["http://10.231.7.2/onvif/device_service"] and cam["endpoint"].startswith("urn:uuid:")
    assert cam["open_ports"] == [554, 80] and cam["rtsp"] is True
    # The second address of the camera host answers the scan only (no ONVIF identity for it).
    other = found["10.231.7.3"]
    assert other["method"] == "scan" and other["rtsp"] is True
    assert "10.231.7.1" not in found  # the appliance itself is not a camera


def test_non_camera_interface_is_refused(segment, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = appliance_root(tmp_path, segment["srv_if"], role="corporate")
    result = discover(segment, root, "--interface", segment["srv_if"])
    assert result.returncode == 1 and "only probes camera networks" in result.stderr
    result = discover(segment, root)
    assert result.returncode == 1 and "no camera network is up" in result.stderr


def test_silent_segment_reports_nothing(segment, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = appliance_root(tmp_path, segment["srv_if"])
    result = discover(segment, root, "--timeout", "1", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
