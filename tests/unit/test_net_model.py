"""The `network` section refuses every bad input of issue 4 with an error naming the field."""

from __future__ import annotations

import pytest

from ctsys.config import document
from ctsys.errors import ValidationError

pytestmark = pytest.mark.unit


def problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as info:
        document.parse(text)
    return info.value.problems


def only(text: str) -> tuple[str, str]:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


def test_default_is_one_dhcp_management_interface() -> None:
    net = document.defaults().network
    assert [(i.name, i.role, i.dhcp4) for i in net.interfaces] == [("eth0", "management", True)]
    assert net.rollback_seconds == 120


@pytest.mark.parametrize(
    ("value", "expected"),
    [("10.0.0.300/24", "'10.0.0.300/24' is not an IPv4 or IPv6 address/prefix"),
     ("10.0.0.3", "'10.0.0.3' is not an IPv4 or IPv6 address/prefix"),
     ("fd00::zz/64", "'fd00::zz/64' is not an IPv4 or IPv6 address/prefix")],
)
def test_invalid_address_names_the_list_element(value: str, expected: str) -> None:
    assert only(f"network: {{interfaces: [{{name: eth0, addresses: [10.1.0.2/24, '{value}']}}]}}") == (
        "network.interfaces[0].addresses[1]", expected)


def test_invalid_gateway_address() -> None:
    path, reason = only("network: {interfaces: [{name: eth0, addresses: [10.0.0.2/24], gateway4: 10.0.0.256}]}")
    assert path == "network.interfaces[0].gateway4" and "10.0.0.256" in reason


def test_overlapping_subnets_blame_the_second_interface() -> None:
    assert only(
        "network: {interfaces: [{name: eth0, addresses: [10.0.0.2/24]}, {name: eth1, addresses: [10.0.0.9/16]}]}"
    ) == ("network.interfaces[1].addresses[0]", "subnet 10.0.0.0/16 overlaps 10.0.0.0/24 of interfaces[0] (eth0)")


def test_gateway_outside_every_subnet() -> None:
    assert only(
        "network: {interfaces: [{name: eth0}, {name: eth1, addresses: [10.0.0.3/24], gateway4: 10.1.0.1}]}"
    ) == ("network.interfaces[1].gateway4", "10.1.0.1 is outside every subnet of eth1")


def test_ipv6_gateway_outside_every_subnet() -> None:
    path, reason = only("network: {interfaces: [{name: eth0, addresses: [fd00::2/64], gateway6: 'fd01::1'}]}")
    assert path == "network.interfaces[0].gateway6" and "outside every subnet" in reason


def test_two_default_gateways_are_refused() -> None:
    assert only(
        "network: {interfaces: [{name: eth0, addresses: [10.0.0.3/24], gateway4: 10.0.0.1},"
        " {name: eth1, addresses: [10.1.0.3/24], gateway4: 10.1.0.1}]}"
    ) == ("network.interfaces[1].gateway4", "only one default gateway is allowed, interfaces[0] (eth0) already has one")


def test_nic_in_two_bonds() -> None:
    assert only(
        "network: {interfaces: [{name: bond0, bond: {members: [eth1, eth2]}}, {name: bond1, bond: {members: [eth2]}}]}"
    ) == ("network.interfaces[1].bond.members", "'eth2' is already a member of bond0 (a NIC belongs to one bond)")


def test_nic_in_a_bond_and_used_alone() -> None:
    assert only("network: {interfaces: [{name: bond0, bond: {members: [eth1, eth2]}}, {name: eth1}]}") == (
        "network.interfaces[0].bond.members", "'eth1' is also configured alone as interfaces[1]")


@pytest.mark.parametrize("vlan_id", [0, 4095, -1])
def test_vlan_id_outside_1_4094(vlan_id: int) -> None:
    path, reason = only(f"network: {{interfaces: [{{name: eth0}}, {{name: v1, vlan: {{id: {vlan_id}, link: eth0}}}}]}}")
    assert path == "network.interfaces[1].vlan.id" and str(vlan_id) in reason


def test_vlan_on_an_unknown_link() -> None:
    assert only("network: {interfaces: [{name: eth0}, {name: v1, vlan: {id: 5, link: eth7}}]}") == (
        "network.interfaces[1].vlan.link", "'eth7' is not an interface of the document")


def test_eleventh_interface_is_refused() -> None:
    ifaces = ", ".join(f"{{name: eth{i}}}" for i in range(11))
    assert only(f"network: {{interfaces: [{ifaces}]}}") == ("network.interfaces[10]", "at most 10 interfaces, got 11")


def test_ten_interfaces_are_accepted() -> None:
    ifaces = ", ".join(f"{{name: eth{i}, addresses: [10.{i}.0.1/24]}}" for i in range(10))
    assert len(document.parse(f"network: {{interfaces: [{ifaces}]}}").network.interfaces) == 10


@pytest.mark.parametrize("mtu", [67, 9001])
def test_mtu_outside_68_9000(mtu: int) -> None:
    path, reason = only(f"network: {{interfaces: [{{name: eth0, mtu: {mtu}}}]}}")
    assert path == "network.interfaces[0].mtu" and str(mtu) in reason


def test_bad_interface_name() -> None:
    path, reason = only("network: {interfaces: [{name: 'eth 0'}]}")
    assert path == "network.interfaces[0].name" and "not an interface name" in reason


def test_duplicate_interface_name() -> None:
    assert only("network: {interfaces: [{name: eth0}, {name: eth0}]}") == (
        "network.interfaces[1].name", "'eth0' is already interfaces[0]")


def test_no_interface_at_all() -> None:
    assert only("network: {interfaces: []}") == ("network.interfaces", "at least one interface is needed")


def test_bond_primary_must_be_a_member() -> None:
    assert only("network: {interfaces: [{name: bond0, bond: {members: [eth1], primary: eth2}}]}") == (
        "network.interfaces[0].bond.primary", "'eth2' is not a member of the bond")


def test_bad_bond_mode_is_named() -> None:
    path, _ = only("network: {interfaces: [{name: bond0, bond: {members: [eth1], mode: xor}}]}")
    assert path == "network.interfaces[0].bond.mode"


def test_gateway_cap_above_total_cap() -> None:
    path, _ = only("network: {interfaces: [{name: eth0, egress_mbit: 10, gateway_egress_mbit: 20}]}")
    assert path == "network.interfaces[0].gateway_egress_mbit"


def test_two_forwards_on_one_port() -> None:
    assert only(
        "network: {forwards: [{name: a, port: 8000, target: 10.0.0.5, target_port: 80},"
        " {name: b, port: 8000, target: 10.0.0.6, target_port: 80}]}"
    ) == ("network.forwards[1].port", "tcp port 8000 is already used by forwards[0] (a)")


def test_proxy_port_clashing_with_a_forward() -> None:
    path, _ = only(
        "network: {forwards: [{name: a, port: 8443, target: 10.0.0.5, target_port: 80}],"
        " proxies: [{name: cam, port: 8443, camera: 10.0.0.6}]}"
    )
    assert path == "network.proxies[0].port"


def test_proxy_auth_needs_a_crypt_hash() -> None:
    path, reason = only("network: {proxies: [{name: cam, port: 8443, camera: 10.0.0.6,"
                        " auth: {user: v, password_hash: secret}}]}")
    assert path == "network.proxies[0].auth.password_hash" and "openssl passwd" in reason


def test_unknown_role() -> None:
    path, _ = only("network: {interfaces: [{name: eth0, role: dmz}]}")
    assert path == "network.interfaces[0].role"
