"""Apply module `snmp`: snmpd.conf, v3 users, the subagent's config, the alert hook."""

from __future__ import annotations

from typing import Any

from ctsys.apply.module import ApplyContext, FileSpec, Module
from ctsys.config.document import Appliance
from ctsys.run import run
from ctsys.snmp.render import AGENT_CONFIG, USERS_FILE, snmpd_context

HOOK = "/etc/ctsys/alert.d/50-snmp-notify"


def _context(doc: Appliance) -> dict[str, Any]:
    return snmpd_context(doc)


def _enabled(doc: Appliance) -> bool:
    return doc.services.snmp.enabled


def _notifies(doc: Appliance) -> bool:
    return doc.services.snmp.enabled and bool(doc.snmp.managers)


def activate_snmp(ctx: ApplyContext) -> None:
    """Running system only: snmpd's unprivileged user reads its files; restart for the users.

    A restart (not a reload): the v3 users are copied in before start (ExecStartPre),
    and a reload re-reads the configuration after snmpd dropped its privileges.
    """
    run(["systemctl", "daemon-reload"])
    run(["systemctl", "enable", "--now", "ctsys-snmp-watch.timer"])
    if not ctx.doc.services.snmp.enabled:
        return
    for path in ("/etc/snmp/snmpd.conf", AGENT_CONFIG):
        run(["chgrp", "Debian-snmp", path], check=False)
    run(["systemctl", "restart", "snmpd.service"], timeout=120)


MODULES = [
    Module(
        name="snmp",
        sections=("snmp", "services", "network"),
        description="net-snmp agent: communities, v3 users, product subtree subagent, notification hook",
        files=(
            FileSpec("/etc/snmp/snmpd.conf", "etc/snmp/snmpd.conf.j2", mode=0o640, when=_enabled),
            FileSpec(USERS_FILE, "etc/snmp/ctsys-users.conf.j2", mode=0o600, when=_enabled),
            FileSpec(AGENT_CONFIG, "etc/snmp/ctsys-agent.json.j2", mode=0o640, when=_enabled),
            FileSpec(
                "/etc/systemd/system/snmpd.service.d/ctsys.conf",
                "etc/systemd/system/snmpd.service.d/ctsys.conf.j2",
                when=_enabled,
            ),
            FileSpec(HOOK, "etc/ctsys/alert.d/50-snmp-notify.j2", mode=0o755, when=_notifies),
            # Alerts for stopped services and lost cameras serve every hook (mail too): always there.
            FileSpec("/etc/systemd/system/ctsys-snmp-watch.service", "etc/systemd/system/ctsys-snmp-watch.service.j2"),
            FileSpec("/etc/systemd/system/ctsys-snmp-watch.timer", "etc/systemd/system/ctsys-snmp-watch.timer.j2"),
        ),
        context=_context,
        activate=activate_snmp,
        after=("services",),
    ),
]
