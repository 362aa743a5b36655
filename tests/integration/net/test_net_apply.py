"""Network changes applied for real inside namespaces: addresses, routes, isolation, relays, rollback."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ctsys.cli import cli
from ctsys.config.store import ConfigStore
from ctsys.net import rollback
from ctsys.net.activate import activate_all, nginx_run_dir
from ctsys.net.host import NetHost
from tests.integration.net.netlab import Lab

pytestmark = pytest.mark.integration

BASE = """
version: 1
network:
  interfaces:
    - {name: eth1, role: corporate, addresses: [10.77.1.1/24], gateway4: 10.77.1.254}
    - {name: eth2, role: cameras, addresses: [10.77.2.1/24]}
  firewall: {ssh: [corporate]}
"""


def ctsys(root: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["--root", str(root), *args])
    assert result.exit_code == 0, result.output
    return result


def setup(lab: Lab, root: Path, text: str = BASE) -> None:
    """Import the document, render (with netplan/nft/nginx checks) and activate in the namespace."""
    doc_file = root.parent / "doc.yaml"
    doc_file.write_text(text)
    ctsys(root, "config", "import", str(doc_file), "--no-apply")
    ctsys(root, "apply")
    activate(lab, root)


def activate(lab: Lab, root: Path) -> None:
    activate_all(root, ConfigStore(root).load(), NetHost(lab.srv))
    lab.watch_pidfile(nginx_run_dir(root) / "nginx.pid")


def test_addresses_routes_and_mtu_are_applied(lab: Lab, tmp_path: Path) -> None:
    root = tmp_path / "root"
    setup(lab, root)
    assert lab.addresses(lab.srv)["eth1"] == ["10.77.1.1/24"]
    assert lab.addresses(lab.srv)["eth2"] == ["10.77.2.1/24"]
    assert "default 10.77.1.254 eth1" in lab.routes(lab.srv)
    # A change through `ctsys net` (NIC names checked against the namespace) is applied too.
    ctsys(root, "net", "set", "eth2", "--address", "10.77.3.1/24", "--mtu", "1400")
    activate(lab, root)
    assert lab.addresses(lab.srv)["eth2"] == ["10.77.3.1/24"]
    assert '"mtu":1400' in lab.ns_run(lab.srv, "ip", "-j", "link", "show", "eth2").stdout
    assert lab.ns_run(lab.srv, "sysctl", "-n", "net.ipv4.ip_forward").stdout.strip() == "0"


def test_a_nic_the_server_does_not_have_is_refused(lab: Lab, tmp_path: Path) -> None:
    root = tmp_path / "root"
    setup(lab, root)
    result = CliRunner().invoke(cli, ["--root", str(root), "net", "set", "eth7", "--address", "10.9.0.1/24"])
    assert result.exit_code == 1
    assert "network.interfaces[2].name: 'eth7' is not a NIC of this server (NICs: eth1, eth2" in result.output


def test_isolation_blocks_corporate_to_cameras_and_opens_allowed_services(lab: Lab, tmp_path: Path) -> None:
    root = tmp_path / "root"
    setup(lab, root)
    lab.http_server(lab.cam, "10.77.2.2", 80, "cam", tmp_path / "cam.log")
    for port in (22, 443, 8089):
        lab.http_server(lab.srv, "0.0.0.0", port, f"srv{port}", tmp_path / f"srv{port}.log")
    # Even with a route through the appliance, corporate cannot reach the camera network.
    lab.ns_run(lab.corp, "ip", "route", "add", "10.77.2.0/24", "via", "10.77.1.1")
    lab.ns_run(lab.cam, "ip", "route", "add", "10.77.1.0/24", "via", "10.77.2.1")
    assert not lab.connects(lab.corp, "10.77.2.2", 80)
    assert not lab.connects(lab.cam, "10.77.1.2", 22, timeout=1)
    # Allowed: SSH and HTTPS from corporate. Dropped: the recorder API, SSH from cameras.
    assert lab.connects(lab.corp, "10.77.1.1", 22)
    assert lab.connects(lab.corp, "10.77.1.1", 443)
    assert not lab.connects(lab.corp, "10.77.1.1", 8089)
    assert not lab.connects(lab.cam, "10.77.2.1", 22)
    # Forwarding would let the packets through without the firewall; it must be off too.
    assert lab.ns_run(lab.srv, "sysctl", "-n", "net.ipv4.ip_forward").stdout.strip() == "0"
    # The firewall follows the document: SSH from cameras once allowed.
    ctsys(root, "net", "firewall", "--ssh-from", "corporate", "--ssh-from", "cameras")
    activate(lab, root)
    assert lab.connects(lab.cam, "10.77.2.1", 22)


def test_forward_and_camera_proxy_end_to_end(lab: Lab, tmp_path: Path) -> None:
    root = tmp_path / "root"
    setup(lab, root)
    lab.http_server(lab.cam, "10.77.2.2", 80, "cam7", tmp_path / "cam.log")
    ctsys(root, "cert", "generate", "--name", "10.77.1.1")
    ctsys(root, "net", "forward", "add", "cam7-http", "--port", "8080", "--to", "10.77.2.2:80")
    ctsys(root, "net", "proxy", "add", "cam7", "--port", "8447", "--camera", "10.77.2.2",
          "--auth-user", "viewer", "--auth-password", "s3cret")
    activate(lab, root)
    # Forward: plain TCP relay through nginx's stream module.
    out = lab.curl(lab.corp, "http://10.77.1.1:8080/fwd")
    assert out.stdout == "camera cam7 path /fwd", out.stderr
    # Proxy: TLS with the appliance certificate, basic auth, then the camera's page.
    cert = str(root / "etc/ctsys/tls/appliance.crt")
    denied = lab.curl(lab.corp, "--cacert", cert, "-o", "/dev/null", "-w", "%{http_code}", "https://10.77.1.1:8447/")
    assert denied.stdout == "401"
    wrong = lab.curl(lab.corp, "--cacert", cert, "-u", "viewer:nope", "-o", "/dev/null", "-w", "%{http_code}",
                     "https://10.77.1.1:8447/")
    assert wrong.stdout == "401"
    ok = lab.curl(lab.corp, "--cacert", cert, "-u", "viewer:s3cret", "https://10.77.1.1:8447/admin")
    assert ok.stdout == "camera cam7 path /admin", ok.stderr
    # The camera itself stays unreachable from corporate.
    assert not lab.connects(lab.corp, "10.77.2.2", 80)


def test_rollback_restores_addresses_and_rules_when_not_confirmed(lab: Lab, tmp_path: Path) -> None:
    root = tmp_path / "root"
    setup(lab, root)
    before = (lab.addresses(lab.srv), lab.routes(lab.srv), lab.ruleset(lab.srv))
    doc_before = ConfigStore(root).load().network
    # What `net-guard` does on the appliance before a change, with a short window.
    pending = rollback.arm(root, 8, NetHost(lab.srv))
    assert pending is not None
    ctsys(root, "net", "set", "eth1", "--address", "10.77.9.1/24", "--gateway4", "10.77.9.254", "--force")
    ctsys(root, "net", "firewall", "--ssh-from", "cameras")
    activate(lab, root)
    assert lab.addresses(lab.srv)["eth1"] == ["10.77.9.1/24"]
    assert lab.ruleset(lab.srv) != before[2]
    # The timer's command, started before the deadline, waits for it, then reverts.
    assert pending.deadline - time.time() > 1, "the change took the whole window: nothing to wait for"
    ctsys(root, "net", "rollback", "--expired")
    late = time.time() - pending.deadline
    print(f"rollback: reverted {late:.2f} s after the deadline")
    assert late >= -0.5, "reverted before the deadline"
    assert (lab.addresses(lab.srv), lab.routes(lab.srv), lab.ruleset(lab.srv)) == before
    assert ConfigStore(root).load().network == doc_before
    assert rollback.load_pending(root) is None
    assert late < 15, f"the revert ended {late:.1f} s after the deadline"


def test_show_lists_nics_from_netlink_with_roles(lab: Lab, tmp_path: Path) -> None:
    import json

    root = tmp_path / "root"
    setup(lab, root)
    nics = {n["name"]: n for n in json.loads(ctsys(root, "net", "show", "--json").output)}
    assert set(nics) == {"eth1", "eth2"}
    assert nics["eth1"]["role"] == "corporate" and nics["eth2"]["role"] == "cameras"
    assert nics["eth1"]["addresses"][0] == "10.77.1.1/24"
    assert nics["eth1"]["kind"] == "veth" and nics["eth1"]["mtu"] == 1500
    assert nics["eth1"]["state"] == "up" and len(nics["eth1"]["mac"]) == 17
    human = ctsys(root, "net", "show").output
    assert human.splitlines()[0].split()[:3] == ["NIC", "ROLE", "KIND"]
