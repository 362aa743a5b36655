"""Bonds, VLANs and the rollback timer on a booted appliance (qemu): what this host's kernel cannot do.

Runs on the shared Live VM (tests/system/shapes.py): its eth1 and eth2 (bond
members) and eth3 share one qemu hub; eth3 is moved into a namespace inside the
guest and plays the switch-side peer, so the traffic stays inside the VM.
`set_link` on the qemu monitor cuts a member. The bond is left configured:
later tests on the shared VM use eth0 and the disks only.
"""

from __future__ import annotations

import base64
import json
import time

import pytest

from tests.system.harness import Vm

pytestmark = [pytest.mark.system]

NETWORK = ("{interfaces: [{name: eth0, role: management, dhcp4: true},"
           " {name: bond0, role: corporate, addresses: [10.99.0.1/24],"
           "  bond: {members: [eth1, eth2], mode: active-backup, primary: eth1, miimon: 100}},"
           " {name: bond0.42, role: cameras, addresses: [10.98.0.1/24], vlan: {id: 42, link: bond0}}],"
           " rollback_seconds: 30}")



def reach(vm: Vm, address: str) -> None:
    """A TCP connection to the peer's server (the image has no ping; python3 is there for ctsys)."""
    vm.check(f"python3 -c \"import socket; socket.create_connection(('{address}', 8000), 3).close()\"")


def nic_by_mac(vm: Vm, mac: str) -> str:
    links = json.loads(vm.check("ip -j link show"))
    return next(link["ifname"] for link in links if link.get("address") == mac)


@pytest.mark.timeout(3300)  # the first test on the shared VM pays for the build and the boot
def test_bond_failover_lacp_vlan_and_unconfirmed_rollback(shared_vm: Vm) -> None:
    check_bonds_vlans_and_rollback(shared_vm)


def check_bonds_vlans_and_rollback(vm: Vm) -> None:
    assert [nic_by_mac(vm, f"52:54:00:c7:01:{i:02x}") for i in (1, 2, 3)] == ["eth1", "eth2", "eth3"]
    # The switch side: eth3 in a namespace of the guest, with the same VLAN.
    vm.check("ip netns add peer && ip link set eth3 netns peer && ip -n peer link set lo up && "
             "ip -n peer addr add 10.99.0.2/24 dev eth3 && ip -n peer link set eth3 up && "
             "ip -n peer link add link eth3 name eth3.42 type vlan id 42 && "
             "ip -n peer addr add 10.98.0.2/24 dev eth3.42 && ip -n peer link set eth3.42 up")
    vm.check("(ip netns exec peer python3 -m http.server --bind 0.0.0.0 8000 >/dev/null 2>&1 &)")
    value = base64.b64encode(NETWORK.encode()).decode()
    vm.check(f"ctsys config set network \"$(echo {value} | base64 -d)\" --no-apply")
    vm.check("ctsys net apply --force", timeout=600)
    vm.check("ctsys net confirm")

    # active-backup: eth1 is active; cutting its link moves traffic to eth2.
    vm.poll("cat /proc/net/bonding/bond0", r"Currently Active Slave: eth1", 60)
    reach(vm, "10.99.0.2")
    reach(vm, "10.98.0.2")  # through the VLAN on the bond
    vm.monitor("set_link m1 off")
    vm.poll("cat /proc/net/bonding/bond0", r"Currently Active Slave: eth2", 30)
    reach(vm, "10.99.0.2")
    vm.monitor("set_link m1 on")
    vm.poll("cat /proc/net/bonding/bond0", r"Slave Interface: eth1\nMII Status: up", 30)

    # 802.3ad with fast LACP: the bond is recreated in the new mode, the VLAN comes back on it.
    vm.check("ctsys net bond bond0 --member eth1 --member eth2 --mode 802.3ad --lacp-rate fast "
             "--hash-policy layer3+4 --role corporate", timeout=600)
    vm.check("ctsys net confirm")
    bonding = vm.poll("cat /proc/net/bonding/bond0", r"IEEE 802\.3ad Dynamic link aggregation", 60)
    assert "LACP rate: fast" in bonding and "Transmit Hash Policy: layer3+4" in bonding
    vm.poll("ip -o addr show dev bond0.42", r"10\.98\.0\.1/24", 60)
    assert "802.1Q id 42" in vm.check("ip -d link show bond0.42")
    # No traffic check here: the hub peer speaks no LACP, so the aggregator has no carrier.

    # Unconfirmed change: the timer puts the previous addresses back by itself.
    vm.check("ctsys net set bond0 --address 10.97.0.1/24", timeout=600)
    applied = time.monotonic()
    assert "10.97.0.1/24" in vm.check("ip -o addr show dev bond0")
    assert json.loads(vm.check("ctsys net status --json"))["pending"] is True
    assert vm.check("systemctl is-active ctsys-net-rollback.timer").strip() == "active"
    vm.poll("ip -o addr show dev bond0", r"10\.99\.0\.1/24", 120)
    delay = time.monotonic() - applied
    print(f"rollback restored bond0 {delay:.0f} s after the unconfirmed apply (window 30 s)")
    assert 25 <= delay <= 120
    # the revert re-applies the modules (netplan under TCG): pending ends when it is done
    vm.poll("ctsys net status --json", r'"pending": false', 180)
    assert "10.99.0.1/24" in vm.check("ctsys config get network.interfaces[1].addresses")
