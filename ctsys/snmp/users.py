"""v3 users into snmpd's persistent file, where createUser lines are read at start.

snmpd reads /var/lib/snmp/snmpd.conf only when it starts, turns each createUser
line into a usmUser line with localized keys, and rewrites the file when it
stops. So, while snmpd is stopped (ExecStartPre), the user lines are replaced
by the document's createUser lines and everything else (engine ID, boots) kept.
"""

from __future__ import annotations

import os
from pathlib import Path

from ctsys.fsutil import write_atomic

USER_LINES = ("createUser ", "usmUser ")


def merged(persistent: str, users: str) -> str:
    kept = [line for line in persistent.splitlines() if not line.startswith(USER_LINES)]
    created = [line for line in users.splitlines() if line.startswith("createUser ")]
    return "\n".join([*kept, *created]) + "\n"


def sync(users_file: Path, persistent_file: Path) -> int:
    """Rewrite `persistent_file` with the users of `users_file`; returns how many users."""
    users = users_file.read_text() if users_file.exists() else ""
    current = persistent_file.read_text() if persistent_file.exists() else ""
    text = merged(current, users)
    persistent_file.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(persistent_file, text, 0o600)
    # snmpd rewrites this file as Debian-snmp, the owner of /var/lib/snmp: keep it theirs.
    owner = persistent_file.parent.stat()
    if os.geteuid() == 0 and (owner.st_uid, owner.st_gid) != (0, 0):
        os.chown(persistent_file, owner.st_uid, owner.st_gid)
    return sum(1 for line in text.splitlines() if line.startswith("createUser "))
