"""`ctsys net` and `ctsys cert` commands on a build tree, with the run() seam faked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ctsys.cli import cli
from ctsys.config.store import ConfigStore

pytestmark = pytest.mark.unit


def invoke(root: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--root", str(root), *args])


def test_every_net_command_has_help() -> None:
    from ctsys.cert.cli import cert
    from ctsys.net.cli import net

    def walk(group: Any, prefix: list[str]) -> list[list[str]]:
        out = [prefix]
        for name, cmd in getattr(group, "commands", {}).items():
            out += walk(cmd, [*prefix, name])
        return out

    for path in walk(net, ["net"]) + walk(cert, ["cert"]):
        result = CliRunner().invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, path
        assert len(result.output.splitlines()) > 3, path


def test_set_validates_and_changes_nothing_on_error(tmp_path: Path, fake_run: Any) -> None:
    result = invoke(tmp_path, "net", "set", "eth1", "--address", "10.5.0.1/24", "--gateway4", "10.9.0.1", "--no-apply")
    assert result.exit_code == 1
    assert "network.interfaces[1].gateway4: 10.9.0.1 is outside every subnet of eth1" in result.output
    assert not ConfigStore(tmp_path).exists()
    assert fake_run.calls == []


def test_set_then_apply_checks_with_netplan_and_nft(tmp_path: Path, fake_run: Any) -> None:
    result = invoke(tmp_path, "net", "set", "eth1", "--role", "cameras", "--address", "10.5.0.1/24",
                    "--egress-mbit", "30")
    assert result.exit_code == 0, result.output
    doc = ConfigStore(tmp_path).load()
    assert doc.network.interface("eth1") is not None
    commands = fake_run.commands()
    assert any(c.startswith("netplan generate --root-dir ") for c in commands)
    assert any(c.startswith("nft -c -f ") and c.endswith("/etc/nftables.conf") for c in commands)
    # --root: nothing is activated on the running system.
    assert not [c for c in commands if c.startswith(("netplan apply", "systemctl", "tc ", "ip "))]
    assert "qdisc replace dev eth1 root" in (tmp_path / "etc/ctsys/net/shaping.tc").read_text()


def test_a_camera_interface_reaches_the_ntp_server_in_the_same_change(tmp_path: Path, fake_run: Any) -> None:
    # the modules that render from the network section follow a `ctsys net` change
    assert invoke(tmp_path, "net", "set", "eth1", "--role", "management", "--dhcp4").exit_code == 0
    assert "allow " not in (tmp_path / "etc/chrony/chrony.conf").read_text()
    result = invoke(tmp_path, "net", "set", "eth2", "--role", "cameras", "--address", "10.6.0.1/24")
    assert result.exit_code == 0, result.output
    chrony = (tmp_path / "etc/chrony/chrony.conf").read_text()
    assert "allow 10.6.0.0/24" in chrony and "binddevice eth2" in chrony
    assert "10.6.0.1" in (tmp_path / "etc/ctsys/tls/self-signed.cnf").read_text()


def test_a_failing_checker_keeps_the_previous_files(tmp_path: Path, fake_run: Any) -> None:
    assert invoke(tmp_path, "net", "set", "eth1", "--address", "10.5.0.1/24").exit_code == 0
    before = (tmp_path / "etc/nftables.conf").read_text()
    fake_run.on("nft", "-c", returncode=1, stderr="Error: syntax error")
    result = invoke(tmp_path, "net", "set", "eth1", "--role", "corporate")
    assert result.exit_code == 1 and "firewall" in result.output
    assert (tmp_path / "etc/nftables.conf").read_text() == before


def test_forward_and_proxy_commands_round_trip(tmp_path: Path, fake_run: Any) -> None:
    fake_run.on("openssl", "passwd", stdout="$6$abc$def\n")
    assert invoke(tmp_path, "net", "forward", "add", "cam-rtsp", "--port", "8554", "--to", "192.168.50.10:554",
                  "--no-apply").exit_code == 0
    result = invoke(tmp_path, "net", "proxy", "add", "cam1", "--port", "8443", "--camera", "192.168.50.10",
                    "--auth-user", "viewer", "--auth-password", "pw", "--no-apply")
    assert result.exit_code == 0, result.output
    assert fake_run.inputs[-1] == "pw\n"  # the password goes on stdin, never in argv
    forwards = json.loads(invoke(tmp_path, "net", "forward", "list", "--json").output)
    assert forwards[0]["target"] == "192.168.50.10" and forwards[0]["target_port"] == 554
    proxies = json.loads(invoke(tmp_path, "net", "proxy", "list", "--json").output)
    assert proxies[0]["auth"] == {"user": "viewer", "password_hash": "$6$abc$def"}
    assert invoke(tmp_path, "net", "forward", "remove", "cam-rtsp", "--no-apply").exit_code == 0
    result = invoke(tmp_path, "net", "forward", "remove", "cam-rtsp", "--no-apply")
    assert result.exit_code == 1 and "no forward named 'cam-rtsp'" in result.output


def test_forward_on_the_ssh_port_is_refused(tmp_path: Path, fake_run: Any) -> None:
    result = invoke(tmp_path, "net", "forward", "add", "x", "--port", "22", "--to", "10.0.0.9:22", "--no-apply")
    assert result.exit_code == 1
    assert "network.forwards[0].port: port 22 is used by services.ssh.port" in result.output


def test_unknown_nic_is_refused_when_the_hardware_is_known(
    tmp_path: Path, fake_run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ctsys.net import inventory

    links = [{"index": 2, "name": "eth0", "mac": "52:54:00:00:00:01", "kind": None, "state": "up",
              "carrier": 1, "mtu": 1500, "master": None, "loopback": False, "addresses": []}]
    monkeypatch.setattr(inventory, "read_links", lambda host: [dict(link) for link in links])
    monkeypatch.setenv("CTSYS_NET_NETNS", "test-ns")
    result = invoke(tmp_path, "net", "set", "eth9", "--address", "10.5.0.1/24", "--no-apply")
    assert result.exit_code == 1
    assert "network.interfaces[1].name: 'eth9' is not a NIC of this server (NICs: eth0)" in result.output


def test_identify_blinks_with_ethtool(fake_run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTSYS_NET_NETNS", "ns1")
    result = CliRunner().invoke(cli, ["net", "identify", "eth0", "--seconds", "3"])
    assert result.exit_code == 0, result.output
    assert fake_run.commands() == ["ip netns exec ns1 ethtool --identify eth0 3"]


def test_confirm_is_refused_from_the_session_that_made_the_change(
    tmp_path: Path, fake_run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ctsys.net import rollback
    from ctsys.net.host import NetHost

    (tmp_path / "var/lib/ctsys/net").mkdir(parents=True)
    (tmp_path / "var/lib/ctsys/net/applied.yaml").write_text("network: {}\n")
    pending = rollback.arm(tmp_path, 60, NetHost(), session="10.0.0.9 5000 10.0.0.2 22")
    assert pending is not None
    assert "systemctl restart ctsys-net-rollback.timer" in fake_run.commands()
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.9 5000 10.0.0.2 22")
    result = invoke(tmp_path, "net", "confirm")
    assert result.exit_code == 1 and "confirm from a new connection" in result.output
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.9 5001 10.0.0.2 22")
    assert invoke(tmp_path, "net", "confirm").exit_code == 0
    assert "systemctl stop ctsys-net-rollback.timer" in fake_run.commands()
    assert rollback.load_pending(tmp_path) is None


def test_cert_generate_and_show_call_openssl(tmp_path: Path, fake_run: Any) -> None:
    (tmp_path / "etc/ctsys/tls").mkdir(parents=True)
    fake_run.on("openssl", "x509", stdout="subject=CN=ct-server\nissuer=CN=ct-server\n"
                "notBefore=Nov 28 00:00:00 2026 GMT\nnotAfter=Nov 28 00:00:00 2036 GMT\n"
                "sha256 Fingerprint=AA:BB\nX509v3 Subject Alternative Name:\n    DNS:ct-server, IP Address:10.0.0.2\n")

    # openssl is faked: leave the files `openssl req` would have written.
    (tmp_path / "etc/ctsys/tls/.appliance.key.new").write_text("k")
    (tmp_path / "etc/ctsys/tls/.appliance.crt.new").write_text("c")
    result = invoke(tmp_path, "cert", "generate", "--name", "10.0.0.2", "--json")
    assert result.exit_code == 0, result.output
    req = next(c for c in fake_run.calls if c[:2] == ["openssl", "req"])
    # the document's names (host name, localhost) and the extra one
    assert "subjectAltName=DNS:ct-server,DNS:localhost,IP:127.0.0.1,IP:::1,IP:10.0.0.2" in req
    info = json.loads(result.output)
    assert info["self_signed"] is True and info["names"] == ["DNS:ct-server", "IP:10.0.0.2"]


def test_apply_refuses_a_change_that_cuts_the_ssh_session(
    tmp_path: Path, fake_run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ctsys config set` + apply is caught too: net-guard checks before anything changes."""
    from ctsys.config import document
    from ctsys.errors import CtsysError
    from ctsys.net import inventory
    from ctsys.net.apply_modules import guard
    from ctsys.net.host import NetHost

    links = [{"index": 2, "name": "eth0", "mac": "52:54:00:00:00:01", "kind": None, "state": "up",
              "carrier": 1, "mtu": 1500, "master": None, "loopback": False, "addresses": ["10.0.0.2/24"]}]
    monkeypatch.setattr(inventory, "read_links", lambda host: [dict(link) for link in links])
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.9 5000 10.0.0.2 22")
    doc = document.parse("network: {interfaces: [{name: eth0, addresses: [10.0.0.3/24]}]}")
    with pytest.raises(CtsysError) as info:
        guard(tmp_path, doc, NetHost(), force=False)
    assert "would cut your SSH session from 10.0.0.9 to 10.0.0.2 port 22" in str(info.value)
    assert "address 10.0.0.2 would be removed from eth0" in str(info.value)
    assert fake_run.calls == []  # refused before the timer or anything else
    guard(tmp_path, doc, NetHost(), force=True)  # forced (--force, an argument): no refusal


def test_relays_work_without_the_web_service(tmp_path: Path, fake_run: Any) -> None:
    """nginx serves the relays whatever services.web says: no refusal, and nginx stays wanted."""
    from ctsys.config import document
    from ctsys.net.change import port_conflicts
    from ctsys.services.apply_modules import wanted

    doc = document.parse("services: {web: {enabled: false}}\n"
                         "network: {forwards: [{name: a, port: 8000, target: 10.0.0.5, target_port: 80}]}")
    assert port_conflicts(doc) == []
    assert wanted(doc)["nginx.service"] is True
    alone = document.parse("services: {web: {enabled: false}}")
    assert wanted(alone)["nginx.service"] is False
