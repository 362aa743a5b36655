"""ctsys alerts -> SNMP notifications (CT-SERVER-MIB ctNotifications) to the managers.

Run by the alert hook /etc/ctsys/alert.d/50-snmp-notify with the alert in its
environment (CTSYS_ALERT_*, see ctsys.alerts). v2c managers get a trap,
v3 managers an inform (acknowledged, so a lost one is retried by snmpinform).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from ctsys.config.document import Appliance
from ctsys.config.sections.snmp import Manager
from ctsys.errors import CommandError, CtsysError
from ctsys.run import run
from ctsys.snmp.render import notification_oid

log = logging.getLogger("ctsys.snmp")

# ctNotifications numbers (CT-SERVER-MIB).
RAISED = {
    "smart": 1,
    "disk": 1,
    "raid": 2,
    "disk-fill": 3,
    "volume": 3,
    "camera": 4,
    "service": 6,
    "time": 7,
    "test": 9,
}
CAMERA_BACK, CLEARED = 5, 8
SEVERITY = {"critical": 1, "warning": 2, "info": 3}


@dataclass(frozen=True)
class Event:
    kind: str
    state: str
    severity: str
    subject: str
    message: str

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Event:
        try:
            return cls(
                kind=env["CTSYS_ALERT_KIND"],
                state=env.get("CTSYS_ALERT_STATE", "raised"),
                severity=env.get("CTSYS_ALERT_SEVERITY", "warning"),
                subject=env.get("CTSYS_ALERT_SUBJECT", ""),
                message=env.get("CTSYS_ALERT_MESSAGE", ""),
            )
        except KeyError:
            raise CtsysError(
                "no alert in the environment (CTSYS_ALERT_KIND is not set)",
                hint="this command is run by the alert hooks; try `ctsys alert test`",
            ) from None


def notification_number(event: Event) -> int:
    if event.state == "cleared":
        return CAMERA_BACK if event.kind == "camera" else CLEARED
    return RAISED.get(event.kind, 9)


def varbinds(doc: Appliance, event: Event) -> list[str]:
    """ctAlertKind, ctAlertSubject, ctAlertSeverity, ctAlertMessage (instances .0)."""
    base = f".1.3.6.1.4.1.{doc.snmp.enterprise_number}.1.8"
    return [
        f"{base}.1.0", "s", event.kind,
        f"{base}.2.0", "s", event.subject[:255],
        f"{base}.3.0", "i", str(SEVERITY.get(event.severity, 2)),
        f"{base}.4.0", "s", " ".join(event.message.split())[:255],
    ]  # fmt: skip


def command(doc: Appliance, manager: Manager, event: Event) -> list[str]:
    """The snmptrap (v2c) or snmpinform (v3) command line for one manager."""
    # net-snmp needs the transport spelled out for IPv6: udp6:[addr]:port.
    target = f"udp6:[{manager.host}]:{manager.port}" if ":" in manager.host else f"{manager.host}:{manager.port}"
    # -m '': load no MIB, every OID is numeric; -Ln: log nothing to stderr but errors.
    common = ["-m", "", "-Le", "-t", "3", "-r", "2"]
    if manager.version == "2c":
        argv = ["snmptrap", "-v", "2c", "-c", manager.community or "", *common, target]
    else:
        user = doc.snmp.user(manager.user or "")
        if user is None:  # the schema refuses this; keep the message if a document slips through
            raise CtsysError(f"snmp manager {manager.host}: no v3 user {manager.user!r}")
        argv = [
            "snmpinform", "-v", "3", "-u", user.name, "-l", "authPriv",
            "-a", user.auth, "-A", user.auth_passphrase, "-x", user.priv, "-X", user.priv_passphrase,
            *common, target,
        ]  # fmt: skip
    # '' as uptime: the sender's own sysUpTime.
    return [*argv, "", notification_oid(doc, notification_number(event)), *varbinds(doc, event)]


def send(doc: Appliance, event: Event) -> list[str]:
    """Notify every manager; returns the managers that could not be reached (the rest are sent)."""
    if not doc.services.snmp.enabled:
        log.info("snmp is disabled: no notification for %s %s", event.kind, event.subject)
        return []
    failed = []
    for manager in doc.snmp.managers:
        try:
            run(command(doc, manager, event), timeout=30)
        except CommandError as exc:
            log.warning("notification to %s failed: %s", manager.host, exc.stderr.strip() or exc)
            failed.append(manager.host)
    return failed
