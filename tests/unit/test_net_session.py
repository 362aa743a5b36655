"""A change that would cut the administrator's SSH session is named and refused."""

from __future__ import annotations

import pytest

from ctsys.config import document
from ctsys.net.session import Session, cut_reason

pytestmark = pytest.mark.unit
BASE = """
network:
  interfaces:
    - {name: eth0, role: management, addresses: [10.0.0.2/24], gateway4: 10.0.0.1}
    - {name: eth1, role: cameras, addresses: [192.168.50.1/24]}
"""
KERNEL = {"eth0": ["10.0.0.2/24"], "eth1": ["192.168.50.1/24"], "lo": ["127.0.0.1/8"]}
REMOTE = Session.parse("198.51.100.7 50000 10.0.0.2 22")
LOCAL = Session.parse("10.0.0.9 50000 10.0.0.2 22")


def doc(text: str = BASE) -> document.Appliance:
    return document.parse(text)


def test_session_parses_ssh_connection() -> None:
    assert Session("198.51.100.7", 50000, "10.0.0.2", 22) == REMOTE
    assert Session.parse("") is None and Session.parse("a b c d") is None


def test_unchanged_network_keeps_the_session() -> None:
    assert REMOTE is not None and cut_reason(doc(), REMOTE, KERNEL) is None


def test_removing_the_address_cuts() -> None:
    new = doc(BASE.replace("[10.0.0.2/24], gateway4", "[10.0.0.3/24], gateway4"))
    assert REMOTE is not None and cut_reason(new, REMOTE, KERNEL) == "address 10.0.0.2 would be removed from eth0"


def test_removing_the_interface_cuts() -> None:
    new = doc("network: {interfaces: [{name: eth1, addresses: [192.168.50.1/24]}]}")
    assert REMOTE is not None
    assert cut_reason(new, REMOTE, KERNEL) == "eth0, which carries 10.0.0.2, would no longer be configured"


def test_removing_the_gateway_cuts_a_remote_client_only() -> None:
    new = doc(BASE.replace(", gateway4: 10.0.0.1", ""))
    assert REMOTE is not None and LOCAL is not None
    assert "route to 198.51.100.7 would be lost" in (cut_reason(new, REMOTE, KERNEL) or "")
    assert cut_reason(new, LOCAL, KERNEL) is None


def test_firewall_dropping_ssh_from_the_role_cuts() -> None:
    new = doc(BASE + "  firewall: {ssh: [corporate]}\n")
    assert REMOTE is not None
    assert cut_reason(new, REMOTE, KERNEL) == "the firewall would drop SSH from role 'management' (eth0)"


def test_role_unused_cuts() -> None:
    new = doc(BASE.replace("role: management", "role: unused"))
    assert REMOTE is not None and "role 'unused'" in (cut_reason(new, REMOTE, KERNEL) or "")


def test_other_interfaces_may_change_freely() -> None:
    new = doc(BASE.replace("192.168.50.1/24", "192.168.60.1/24"))
    assert REMOTE is not None and cut_reason(new, REMOTE, KERNEL) is None
