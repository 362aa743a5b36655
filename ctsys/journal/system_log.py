"""The system journal (journalctl) and alerts, read with filters; export of a period."""

from __future__ import annotations

import csv
import io
import json
import os
import tarfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ctsys.errors import CtsysError
from ctsys.run import run


@dataclass(frozen=True)
class LogLine:
    time: str  # UTC ISO 8601
    unit: str
    priority: int
    message: str


def journal_available(root: str) -> bool:
    return root == "/" and os.path.isdir("/run/systemd/journal")


def journal_args(unit: str | None, grep: str | None, since: str | None, until: str | None) -> list[str]:
    args = ["journalctl", "--no-pager", "--utc", "-o", "json"]
    if unit:
        args += ["--unit", unit]
    if grep:
        args += ["--grep", grep, "--case-sensitive=false"]
    if since:
        args += ["--since", since]
    if until:
        args += ["--until", until]
    return args


def parse_journal_json(text: str) -> list[LogLine]:
    lines = []
    for raw in text.splitlines():
        try:
            e = json.loads(raw)
        except ValueError:
            continue
        usec = int(e.get("__REALTIME_TIMESTAMP", 0))
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(usec / 1e6))
        message = e.get("MESSAGE", "")
        if isinstance(message, list):  # journalctl gives binary messages as byte arrays
            message = bytes(message).decode(errors="replace")
        unit = e.get("_SYSTEMD_UNIT") or e.get("SYSLOG_IDENTIFIER") or ""
        lines.append(LogLine(stamp, unit, int(e.get("PRIORITY", 6)), message))
    return lines


def system_log(
    root: str, unit: str | None, grep: str | None, since: str | None, until: str | None, lines: int | None
) -> list[LogLine]:
    if not journal_available(root):
        raise CtsysError("no systemd journal on this system (or --root given): nothing to read")
    args = journal_args(unit, grep, since, until)
    if lines:
        args += ["--lines", str(lines)]
    # journalctl --grep exits 1 when nothing matches: that is an empty answer, not an error.
    result = run(args, check=False, timeout=120)
    if result.returncode not in (0, 1):
        raise CtsysError(f"journalctl failed: {result.stderr.strip()}")
    return parse_journal_json(result.stdout)


def _csv(rows: list[dict[str, object]], fields: list[str]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buf.getvalue().encode()


def export(root: str, since: str, until: str, target: Path) -> list[str]:
    """Write a .tar.gz of the actions, alerts and system log between since and until (UTC)."""
    from ctsys.alerts import recorded
    from ctsys.journal.query import Filter, actions

    members: dict[str, bytes] = {}
    acts = [asdict(a) for a in actions(root, Filter(since=since, until=until))]
    members["actions.csv"] = _csv(acts, ["time", "user", "origin", "action", "result", "command"])
    alerts = [asdict(a) for a in recorded(root) if since <= a.time <= until]
    members["alerts.csv"] = _csv(alerts, ["time", "kind", "state", "severity", "subject", "message"])
    if journal_available(root):
        window = [t.replace("T", " ").rstrip("Z") for t in (since, until)]
        log = system_log(root, None, None, window[0], window[1], None)
        members["system-log.csv"] = _csv([asdict(x) for x in log], ["time", "unit", "priority", "message"])
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    with tarfile.open(tmp, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(data))
    os.replace(tmp, target)
    return sorted(members)
