"""The action journal: who did what, from which address, when, and with which result.

On a running appliance each action goes to the systemd journal (identifier
`ctsys-action`, fields CTSYS_*), read back with `journalctl -o json`. Without a
journal (a build tree, a container, --root) it goes to var/log/ctsys/actions.jsonl.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ctsys.identity import Actor, command_line, current_actor

JOURNAL_SOCKET = "/run/systemd/journal/socket"
IDENTIFIER = "ctsys-action"
FALLBACK = "var/log/ctsys/actions.jsonl"


@dataclass(frozen=True)
class Action:
    time: str  # UTC, ISO 8601
    user: str
    origin: str
    action: str  # e.g. "config.set", "apply", "net.forward.add"
    command: str
    result: str  # "ok" or "error: ..."
    details: dict[str, str] = field(default_factory=dict)


def _uses_journal(root: str) -> bool:
    return root == "/" and os.path.exists(JOURNAL_SOCKET)


def _journal_payload(entry: Action) -> bytes:
    fields = {
        "MESSAGE": f"{entry.user}@{entry.origin}: {entry.action}: {entry.result}",
        "SYSLOG_IDENTIFIER": IDENTIFIER,
        "PRIORITY": "6" if entry.result == "ok" else "4",
        "CTSYS_TIME": entry.time,
        "CTSYS_USER": entry.user,
        "CTSYS_ORIGIN": entry.origin,
        "CTSYS_ACTION": entry.action,
        "CTSYS_COMMAND": entry.command,
        "CTSYS_RESULT": entry.result,
        "CTSYS_DETAILS": json.dumps(entry.details, sort_keys=True),
    }
    out = bytearray()
    for key, value in fields.items():
        data = value.encode()
        if b"\n" in data:
            # The native protocol's binary form: KEY\n<64-bit LE length><data>\n
            out += key.encode() + b"\n" + len(data).to_bytes(8, "little") + data + b"\n"
        else:
            out += key.encode() + b"=" + data + b"\n"
    return bytes(out)


def record(
    root: str,
    action: str,
    result: str = "ok",
    details: dict[str, str] | None = None,
    actor: Actor | None = None,
) -> Action:
    """Record one action. Never raises: a journal problem must not fail the change itself."""
    actor = actor or current_actor()
    entry = Action(
        time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        user=actor.user,
        origin=actor.origin,
        action=action,
        command=command_line(),
        result=result,
        details=dict(details or {}),
    )
    try:
        if _uses_journal(root):
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto(_journal_payload(entry), JOURNAL_SOCKET)
        else:
            path = Path(root) / FALLBACK
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a") as f:
                f.write(json.dumps(asdict(entry), sort_keys=True) + "\n")
    except OSError:
        pass
    return entry


def record_error(
    root: str, action: str, error: BaseException | str, details: dict[str, str] | None = None
) -> Action:
    """Record a refused or failed action: its result is `error: ` and the error on one line."""
    from ctsys.errors import error_text

    return record(root, action, "error: " + error_text(error), details)
