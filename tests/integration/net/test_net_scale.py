"""A 10-interface document: rendered, checked by netplan/nft/nginx and applied in a namespace."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.integration.net.netlab import Lab
from tests.integration.net.test_net_apply import activate, ctsys

pytestmark = pytest.mark.integration


def ten_interfaces() -> str:
    lines = ["version: 1", "network:", "  interfaces:",
             "    - {name: eth1, role: corporate, addresses: [10.77.1.1/24], gateway4: 10.77.1.254,"
             " gateway_egress_mbit: 50}",
             "    - {name: eth2, role: cameras, addresses: [10.77.2.1/24], egress_mbit: 200}"]
    for i in range(3, 11):
        role = "cameras" if i % 2 else "management"
        lines.append(f"    - {{name: eth{i}, role: {role}, addresses: [10.78.{i}.1/24, 'fd00:{i}::1/64'],"
                     f" mtu: 1400, egress_mbit: {i * 10}}}")
    lines += ["  forwards:", "    - {name: cam-rtsp, port: 8554, target: 10.77.2.2, target_port: 554}"]
    return "\n".join(lines) + "\n"


def test_ten_interfaces_apply_in_seconds(lab: Lab, tmp_path: Path) -> None:
    for i in range(3, 11):
        lab.add_nic(f"eth{i}")
    root = tmp_path / "root"
    doc = tmp_path / "doc.yaml"
    doc.write_text(ten_interfaces())
    ctsys(root, "config", "import", str(doc), "--no-apply")
    started = time.monotonic()
    ctsys(root, "apply")
    rendered = time.monotonic() - started
    started = time.monotonic()
    activate(lab, root)
    activated = time.monotonic() - started
    print(f"10 interfaces: render+check {rendered:.2f} s, activate {activated:.2f} s")
    addresses = lab.addresses(lab.srv)
    assert all(f"10.78.{i}.1/24" in addresses[f"eth{i}"] for i in range(3, 11))
    assert len([n for n in addresses if n.startswith("eth")]) == 10
    assert rendered + activated < 60
