"""Bandwidth caps measured with iperf3 between namespaces: within ±15 % of the set rate."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.integration.net.netlab import Lab, wait_for
from tests.integration.net.test_net_apply import activate, ctsys, setup
from tests.tools import require

pytestmark = pytest.mark.integration

DOC = """
version: 1
network:
  interfaces:
    - {name: eth1, role: corporate, addresses: [10.77.1.1/24], gateway4: 10.77.1.2,
       egress_mbit: 40, gateway_egress_mbit: 10}
    - {name: eth2, role: cameras, addresses: [10.77.2.1/24]}
"""


def measure(lab: Lab, tmp_path: Path, server: str, seconds: int = 3) -> float:
    """Mbit/s received by an iperf3 server in the corporate namespace, sent by the appliance."""
    proc = lab.start(lab.corp, ["iperf3", "-s", "-1", "-B", server], tmp_path / f"iperf-{server}.log")
    assert wait_for(lambda: lab.connects(lab.corp, server, 5201), 10)
    time.sleep(0.2)  # the probe connection above counts as the server's one client with some versions
    if proc.poll() is not None:
        proc = lab.start(lab.corp, ["iperf3", "-s", "-1", "-B", server], tmp_path / f"iperf2-{server}.log")
        time.sleep(0.5)
    out = lab.ns_run(lab.srv, "iperf3", "-c", server, "-t", str(seconds), "-O", "1", "-J", timeout=seconds + 30)
    proc.wait(timeout=10)
    return float(json.loads(out.stdout)["end"]["sum_received"]["bits_per_second"]) / 1e6


def test_egress_and_gateway_caps_hold_within_15_percent(lab: Lab, tmp_path: Path) -> None:
    require("iperf3")
    root = tmp_path / "root"
    # An address beyond the corporate subnet, reached through the gateway (the corp namespace).
    lab.ns_run(lab.corp, "ip", "addr", "add", "10.88.0.2/32", "dev", "corp0")
    setup(lab, root, DOC)
    local = measure(lab, tmp_path, "10.77.1.2")
    through_gateway = measure(lab, tmp_path, "10.88.0.2")
    print(f"tc accuracy: cap 40 Mbit/s -> {local:.2f}; gateway cap 10 Mbit/s -> {through_gateway:.2f}")
    assert 40 * 0.85 <= local <= 40 * 1.15, local
    assert 10 * 0.85 <= through_gateway <= 10 * 1.15, through_gateway
    # Removing the caps removes the qdisc (the boot unit does the same reset).
    ctsys(root, "net", "set", "eth1", "--egress-mbit", "0", "--gateway-egress-mbit", "0")
    activate(lab, root)
    assert "htb" not in lab.ns_run(lab.srv, "tc", "qdisc", "show", "dev", "eth1").stdout
