"""Every network apply module renders every fixture document; outputs match golden files.

Regenerate the golden files after an intended change with UPDATE_GOLDEN=1.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ctsys.apply import render
from ctsys.config import document
from ctsys.config.document import Appliance
from ctsys.net import firewall, netplan, shaping
from ctsys.net.apply_modules import MODULES
from tests.tools import match_golden

pytestmark = pytest.mark.unit
FIXTURES = Path(__file__).parent.parent / "fixtures"
GOLDEN = FIXTURES / "network-golden"
DOCUMENTS = sorted(FIXTURES.glob("*.yaml"))


def load(name: str) -> Appliance:
    return document.parse((FIXTURES / name).read_text())


@pytest.mark.parametrize("fixture", DOCUMENTS, ids=lambda p: p.name)
@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_every_module_renders_every_fixture(fixture: Path, module: object) -> None:
    doc = document.parse(fixture.read_text())
    files = render.render_module(module, doc)  # type: ignore[arg-type]
    assert files, "a module renders at least one target"
    for target, text in files.items():
        assert target.startswith("/")
        assert text is None or "{{" not in text


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("network-*.yaml")), ids=lambda p: p.name)
def test_renders_match_golden_files(fixture: Path) -> None:
    doc = document.parse(fixture.read_text())
    out = GOLDEN / fixture.stem
    for module in MODULES:
        for target, text in render.render_module(module, doc).items():
            if target.startswith("/var/"):
                continue  # the rollback snapshot holds every service default: not a golden file
            match_golden(out, target, text)


def test_netplan_puts_bond_members_in_ethernets_without_addresses() -> None:
    config = netplan.netplan_config(load("network-full.yaml"))["network"]
    assert config["renderer"] == "networkd"
    assert config["ethernets"]["eth1"] == {"dhcp4": False, "dhcp6": False, "accept-ra": False,
                                           "link-local": [], "mtu": 9000}
    bond = config["bonds"]["bond0"]
    assert bond["interfaces"] == ["eth1", "eth2"]
    assert bond["parameters"] == {"mode": "802.3ad", "mii-monitor-interval": 100, "lacp-rate": "fast",
                                  "transmit-hash-policy": "layer3+4"}
    assert config["vlans"]["bond0.20"]["link"] == "bond0" and config["vlans"]["bond0.20"]["id"] == 20


def test_netplan_has_one_default_route_per_family_and_dns_on_the_gateway_link() -> None:
    config = netplan.netplan_config(load("network-full.yaml"))["network"]
    routes = [r for e in (*config["ethernets"].values(), *config["bonds"].values()) for r in e.get("routes", [])]
    assert routes == [{"to": "default", "via": "10.10.0.1"}, {"to": "default", "via": "fd00:10::1"}]
    assert config["ethernets"]["eth0"]["nameservers"]["search"] == ["corp.example"]


def test_active_backup_primary_is_rendered() -> None:
    bond = netplan.netplan_config(load("network-dhcp-bond.yaml"))["network"]["bonds"]["bond1"]
    assert bond["parameters"] == {"mode": "active-backup", "mii-monitor-interval": 50, "primary": "eth1"}


def test_netplan_output_is_yaml_netplan_reads() -> None:
    text = netplan.render_netplan(load("network-dhcp-bond.yaml"))
    assert yaml.safe_load(text)["network"]["ethernets"]["eth0"]["dhcp6"] is True


def test_firewall_zones_follow_roles() -> None:
    rs = firewall.ruleset(load("network-full.yaml"))
    assert rs.zones["cameras"] == ["bond0", "bond0.20"]
    assert rs.zones["corporate"] == ["eth3"]
    rules = {(r.comment, tuple(r.roles), r.protocol, r.port) for r in rs.rules}
    assert ("ssh", ("management", "corporate"), "tcp", 22) in rules
    assert ("snmp", ("management",), "udp", 161) in rules
    assert ("ntp for cameras", ("cameras",), "udp", 123) in rules
    assert ("forward io-box", ("corporate",), "udp", 5020) in rules


def test_snmp_is_closed_when_the_service_is_off() -> None:
    rs = firewall.ruleset(load("network-dhcp-bond.yaml"))
    assert not [r for r in rs.rules if r.comment == "snmp"]
    assert rs.dhcp == ["eth0", "eth3"]


def test_nftables_default_drop_and_forwarding_off() -> None:
    doc = load("network-full.yaml")
    files = {t: c for m in MODULES for t, c in render.render_module(m, doc).items()}
    nft = files[firewall.NFTABLES_FILE] or ""
    assert "hook input priority filter; policy drop;" in nft
    assert "hook forward priority filter; policy drop;" in nft
    sysctl = files[firewall.SYSCTL_FILE] or ""
    assert "net.ipv4.ip_forward = 0" in sysctl and "net.ipv6.conf.all.forwarding = 0" in sysctl


def test_gateway_cap_sends_local_subnets_to_the_uncapped_class() -> None:
    [cap] = [c for c in shaping.caps(load("network-full.yaml")) if c.interface == "eth0"]
    lines = shaping.tc_commands(cap)
    assert lines[0] == "qdisc replace dev eth0 root handle 1: htb default 20 r2q 10"
    assert "class replace dev eth0 parent 1:1 classid 1:20 htb rate 50mbit ceil 50mbit burst 62k" in lines
    assert "filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip dst 10.10.0.0/24 flowid 1:10" in lines


def test_no_cap_renders_an_empty_batch_and_resets_interfaces() -> None:
    doc = load("network-dhcp-bond.yaml")
    assert shaping.batch(doc) == []
    unit = render.render_module(next(m for m in MODULES if m.name == "shaping"), doc)[shaping.SHAPING_UNIT] or ""
    assert "ExecStart=-/usr/sbin/tc qdisc del dev eth0 root" in unit
    assert "tc -batch" not in unit


def test_relay_files_exist_only_when_used() -> None:
    relay_module = next(m for m in MODULES if m.name == "relay")
    assert all(v is None for v in render.render_module(relay_module, document.defaults()).values())
    files = render.render_module(relay_module, load("network-full.yaml"))
    proxy = files["/etc/nginx/conf.d/ctsys-camera-proxy.conf"] or ""
    assert "listen 8444 ssl;" in proxy and "proxy_pass http://192.168.50.11:8080;" in proxy
    assert 'if ($remote_user != "viewer")' in proxy
    stream = files["/etc/nginx/modules-enabled/90-ctsys-forward.conf"] or ""
    assert "listen 5020 udp;" in stream and "proxy_pass 192.168.20.5:502;" in stream
    assert (files["/etc/nginx/ctsys-proxy.htpasswd"] or "").startswith("viewer:$6$")


def test_rollback_timer_uses_the_document_window() -> None:
    guard = next(m for m in MODULES if m.name == "net-guard")
    timer = render.render_module(guard, load("network-full.yaml"))["/etc/systemd/system/ctsys-net-rollback.timer"]
    assert "OnActiveSec=60s" in (timer or "")
