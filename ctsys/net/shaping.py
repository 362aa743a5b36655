"""Bandwidth caps with tc (HTB): a cap on all egress, and one on traffic through the gateway.

The commands go into a tc batch file that a oneshot unit replays at boot, so
the caps survive a reboot; `activate` replays the same file right away.
"""

from __future__ import annotations

from dataclasses import dataclass

from ctsys.config.document import Appliance
from ctsys.config.sections.network import Interface

SHAPING_FILE = "/etc/ctsys/net/shaping.tc"
SHAPING_UNIT = "/etc/systemd/system/ctsys-net-shaping.service"
# HTB needs a ceiling for the parent class when only the gateway is capped.
LINE_RATE_MBIT = 100000


@dataclass(frozen=True)
class Cap:
    interface: str
    egress_mbit: int | None
    gateway_egress_mbit: int | None
    local_subnets: tuple[str, ...]


def caps(doc: Appliance) -> list[Cap]:
    out = []
    for iface in doc.network.interfaces:
        if iface.egress_mbit or iface.gateway_egress_mbit:
            out.append(Cap(iface.name, iface.egress_mbit, iface.gateway_egress_mbit, _subnets(iface)))
    return out


def shaped_interfaces(doc: Appliance) -> list[str]:
    """Every configured interface: those without a cap get their root qdisc reset."""
    return [i.name for i in doc.network.interfaces if i.role != "unused"]


def _subnets(iface: Interface) -> tuple[str, ...]:
    return tuple(str(n) for n in iface.networks())


def tc_commands(cap: Cap) -> list[str]:
    """tc batch lines (without the leading `tc`) for one interface."""
    dev = cap.interface
    total = cap.egress_mbit or LINE_RATE_MBIT
    # A burst of ~10 ms at the capped rate keeps HTB accurate at low rates and high ones.
    burst = min(max(16, total * 10 // 8), 1250)
    lines = [
        f"qdisc replace dev {dev} root handle 1: htb default 10 r2q 10",
        f"class replace dev {dev} parent 1: classid 1:1 htb rate {total}mbit ceil {total}mbit burst {burst}k",
        f"class replace dev {dev} parent 1:1 classid 1:10 htb rate {total}mbit ceil {total}mbit burst {burst}k",
    ]
    if cap.gateway_egress_mbit:
        gw = cap.gateway_egress_mbit
        gburst = min(max(16, gw * 10 // 8), 1250)
        # Off-subnet traffic (towards the gateway) falls in 1:20; local subnets match 1:10 first.
        lines[0] = f"qdisc replace dev {dev} root handle 1: htb default 20 r2q 10"
        lines.append(
            f"class replace dev {dev} parent 1:1 classid 1:20 htb rate {gw}mbit ceil {gw}mbit burst {gburst}k"
        )
        for prio, subnet in enumerate(cap.local_subnets, start=1):
            if ":" in subnet:
                lines.append(
                    f"filter add dev {dev} parent 1: protocol ipv6 prio {prio} u32 match ip6 dst {subnet} flowid 1:10"
                )
            else:
                lines.append(
                    f"filter add dev {dev} parent 1: protocol ip prio {prio} u32 match ip dst {subnet} flowid 1:10"
                )
    return lines


def batch(doc: Appliance) -> list[str]:
    return [line for cap in caps(doc) for line in tc_commands(cap)]


def context(doc: Appliance) -> dict[str, object]:
    return {"tc_lines": batch(doc), "shaped": shaped_interfaces(doc)}
