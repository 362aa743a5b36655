"""Alerts: events an operator must hear about (disk failing, RAID degraded, camera lost...).

`raise_alert()` records the event (systemd journal, identifier `ctsys-alert`,
or var/log/ctsys/alerts.jsonl without a journal) and then runs every executable
in /etc/ctsys/alert.d/ in name order with the event in its environment:
  CTSYS_ALERT_KIND      e.g. smart, raid, disk-fill, camera, service, time
  CTSYS_ALERT_STATE     raised | cleared
  CTSYS_ALERT_SEVERITY  critical | warning | info
  CTSYS_ALERT_SUBJECT   what it is about: /dev/sda, md0, cam3, chrony.service
  CTSYS_ALERT_MESSAGE   one human sentence
Hooks (SNMP notifications, mail) are how other parts subscribe; a failing hook
is logged and never stops the others.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ctsys.run import run

log = logging.getLogger("ctsys.alerts")

KINDS = ("smart", "raid", "disk", "disk-fill", "volume", "camera", "service", "time", "test")
SEVERITIES = ("critical", "warning", "info")
STATES = ("raised", "cleared")
HOOK_DIR = "etc/ctsys/alert.d"
FALLBACK = "var/log/ctsys/alerts.jsonl"
JOURNAL_SOCKET = "/run/systemd/journal/socket"


@dataclass(frozen=True)
class Alert:
    time: str
    kind: str
    state: str
    severity: str
    subject: str
    message: str

    def environment(self) -> dict[str, str]:
        return {
            "CTSYS_ALERT_TIME": self.time,
            "CTSYS_ALERT_KIND": self.kind,
            "CTSYS_ALERT_STATE": self.state,
            "CTSYS_ALERT_SEVERITY": self.severity,
            "CTSYS_ALERT_SUBJECT": self.subject,
            "CTSYS_ALERT_MESSAGE": self.message,
        }


def _record(root: str, alert: Alert) -> None:
    try:
        if root == "/" and os.path.exists(JOURNAL_SOCKET):
            fields = {
                "MESSAGE": f"{alert.kind} {alert.state}: {alert.subject}: {alert.message}",
                "SYSLOG_IDENTIFIER": "ctsys-alert",
                "PRIORITY": {"critical": "2", "warning": "4", "info": "6"}[alert.severity],
                **alert.environment(),
            }
            payload = "".join(f"{k}={v.replace(chr(10), ' ')}\n" for k, v in fields.items()).encode()
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto(payload, JOURNAL_SOCKET)
        else:
            path = Path(root) / FALLBACK
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a") as f:
                f.write(json.dumps(asdict(alert), sort_keys=True) + "\n")
    except OSError as exc:
        log.warning("could not record alert: %s", exc)


def hooks(root: str) -> list[Path]:
    directory = Path(root) / HOOK_DIR
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_file() and os.access(p, os.X_OK))


def raise_alert(
    root: str,
    kind: str,
    subject: str,
    message: str,
    severity: str = "warning",
    state: str = "raised",
) -> tuple[Alert, list[str]]:
    """Record the alert and run the hooks; returns the alert and the hooks that failed."""
    if kind not in KINDS:
        raise ValueError(f"unknown alert kind {kind!r} (kinds: {', '.join(KINDS)})")
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r} (one of {', '.join(SEVERITIES)})")
    if state not in STATES:
        raise ValueError(f"unknown state {state!r} (one of {', '.join(STATES)})")
    alert = Alert(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), kind, state, severity, subject, message)
    _record(root, alert)
    failed = []
    env = {**os.environ, **alert.environment(), "CTSYS_ROOT": root}
    for hook in hooks(root):
        result = run([str(hook)], check=False, timeout=30, env=env)
        if result.returncode != 0:
            log.warning("alert hook %s failed (%d): %s", hook, result.returncode, result.stderr.strip())
            failed.append(str(hook))
    return alert, failed


def _from_journal() -> list[Alert]:
    out = run(["journalctl", "--no-pager", "-o", "json", "SYSLOG_IDENTIFIER=ctsys-alert"], timeout=60).stdout
    alerts = []
    for line in out.splitlines():
        try:
            e = json.loads(line)
            alerts.append(
                Alert(
                    e["CTSYS_ALERT_TIME"],
                    e["CTSYS_ALERT_KIND"],
                    e["CTSYS_ALERT_STATE"],
                    e["CTSYS_ALERT_SEVERITY"],
                    e["CTSYS_ALERT_SUBJECT"],
                    e["CTSYS_ALERT_MESSAGE"],
                )
            )
        except (ValueError, KeyError):
            continue
    return alerts


def recorded(root: str) -> list[Alert]:
    """Every recorded alert, oldest first: from the journal, or from the fallback file."""
    if root == "/" and os.path.exists(JOURNAL_SOCKET):
        return _from_journal()
    path = Path(root) / FALLBACK
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(Alert(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return out
