"""What snmpd's files are made of: a pure function of the document.

`snmpd_context(doc, ...)` is what the templates see; the integration tests and
the benchmark render through the same function with their own agent command.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from ctsys.config.document import Appliance
from ctsys.config.sections.services import ServicesSection
from ctsys.time import roles

CTSYS_BIN = "/usr/bin/ctsys"  # where the ct-server Debian package installs the tool
AGENT_CONFIG = "/etc/snmp/ctsys-agent.json"
USERS_FILE = "/etc/snmp/ctsys-users.conf"
PERSISTENT_FILE = "/var/lib/snmp/snmpd.conf"


def product_oid(doc: Appliance) -> str:
    """The subtree the subagent serves: enterprises.PEN.1 (ctObjects)."""
    return f".1.3.6.1.4.1.{doc.snmp.enterprise_number}.1"


def notification_oid(doc: Appliance, number: int) -> str:
    return f".1.3.6.1.4.1.{doc.snmp.enterprise_number}.0.{number}"


def _endpoint(ip: str, port: int) -> str:
    return f"udp6:[{ip}]:{port}" if ipaddress.ip_address(ip).version == 6 else f"udp:{ip}:{port}"


def listen_addresses(doc: Appliance, extra: tuple[str, ...] = ()) -> list[str]:
    """127.0.0.1 (local tools), then the addresses of the interfaces with an allowed role.

    An allowed interface configured by DHCP has no address to name here: snmpd then
    listens on every address of that family and the firewall keeps other roles out.
    """
    port = doc.services.snmp.port
    ifaces = roles.with_roles(doc, doc.snmp.roles)
    wildcard4, wildcard6 = any(i.dhcp4 for i in ifaces), any(i.dhcp6 for i in ifaces)
    out = [f"udp:0.0.0.0:{port}" if wildcard4 else _endpoint("127.0.0.1", port)]
    if wildcard6:
        out.append(f"udp6:[::]:{port}")
    for iface in ifaces:
        for ip in iface.ips():
            if (wildcard4 and ":" not in ip) or (wildcard6 and ":" in ip):
                continue  # already covered by the wildcard
            endpoint = _endpoint(ip, port)
            if endpoint not in out:
                out.append(endpoint)
    out.extend(extra)
    return out


def community_lines(doc: Appliance) -> list[str]:
    """One rocommunity(6) line per community and source subnet (v2c read-only, our view)."""
    lines = []
    for c in doc.snmp.communities:
        for net in c.sources:
            v6 = ipaddress.ip_network(net, strict=False).version == 6
            lines.append(f"rocommunity{'6' if v6 else ''} {c.name} {net} -V ctsys")
    return lines


def agent_command(doc: Appliance, ctsys_bin: str = CTSYS_BIN, config: str = AGENT_CONFIG) -> str:
    return f"{ctsys_bin} snmp agent --config {config}"


def snmpd_context(doc: Appliance, agent: str | None = None, extra_listen: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "snmp": doc.snmp,
        "listen": listen_addresses(doc, extra_listen),
        "communities": community_lines(doc),
        "product_oid": product_oid(doc),
        "agent_command": agent or agent_command(doc),
        "ctsys_bin": CTSYS_BIN,
        "agent_config_json": json.dumps(agent_config(doc), indent=2, sort_keys=True),
    }


def agent_config(doc: Appliance) -> dict[str, Any]:
    """What the subagent needs from the document (it runs as Debian-snmp, which cannot read it)."""
    return {
        "enterprise_number": doc.snmp.enterprise_number,
        "interface_roles": roles.role_of(doc),
        "services": dict(ServicesSection.UNITS),
        "recorder_api_port": doc.services.recorder.api_port,
    }


def render(template: str, doc: Appliance, **kwargs: Any) -> str:
    from ctsys.apply.render import MANAGED, environment

    return environment().get_template(template).render(doc=doc, managed=MANAGED, **snmpd_context(doc, **kwargs))


def render_snmpd_conf(doc: Appliance, agent: str | None = None, extra_listen: tuple[str, ...] = ()) -> str:
    return render("etc/snmp/snmpd.conf.j2", doc, agent=agent, extra_listen=extra_listen)


def render_users(doc: Appliance) -> str:
    return render("etc/snmp/ctsys-users.conf.j2", doc)
