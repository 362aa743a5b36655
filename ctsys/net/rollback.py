"""Timed rollback of network changes: snapshot, arm, confirm, revert.

- `net-record` (the last network apply module) renders var/lib/ctsys/net/applied.yaml:
  the `network` and `services` sections that are in effect.
- `net-guard` (the first one) arms the rollback before anything changes: it keeps
  that file as the snapshot in pending.json and starts ctsys-net-rollback.timer.
  The timer, not a thread, reverts: killing ctsys does not stop it.
- `ctsys net confirm` from a new connection stops the timer and drops the snapshot.
- `ctsys.net.revert.revert()` puts the snapshot's sections back into the document, then
  renders and activates the network modules again (`reverting()` meanwhile). This file
  is below the apply modules: they arm and read the rollback, the revert applies them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from ctsys.config import document
from ctsys.config.document import Appliance
from ctsys.errors import CtsysError
from ctsys.fsutil import remove_durable, under_root, write_atomic
from ctsys.net.host import NetHost
from ctsys.run import run

log = logging.getLogger("ctsys.net.rollback")

APPLIED_FILE = "/var/lib/ctsys/net/applied.yaml"
PENDING_FILE = "/var/lib/ctsys/net/pending.json"
TIMER = "ctsys-net-rollback.timer"
SECTIONS = ("network", "services")
# Set while a revert runs, so re-applying the snapshot does not arm a new rollback.
_reverting = False


def is_reverting() -> bool:
    return _reverting


@contextlib.contextmanager
def reverting() -> Iterator[None]:
    """While the snapshot is put back: the apply modules neither check the session nor arm."""
    global _reverting
    _reverting = True
    try:
        yield
    finally:
        _reverting = False


@dataclass
class Pending:
    snapshot: str  # YAML of the sections in effect before the change
    armed_at: float
    deadline: float
    session: str  # SSH_CONNECTION of the session that made the change ("" if local)
    seconds: int

    def remaining(self, now: float | None = None) -> float:
        return max(0.0, self.deadline - (time.time() if now is None else now))


def snapshot_text(doc: Appliance) -> str:
    data = document.to_data(doc)
    return yaml.safe_dump({k: data[k] for k in SECTIONS}, sort_keys=False)


def load_pending(root: Path) -> Pending | None:
    path = under_root(root, PENDING_FILE)
    try:
        return Pending(**json.loads(path.read_text()))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as exc:
        raise CtsysError(f"{path} is damaged ({exc})", hint="inspect it, then remove it to drop the rollback") from None


def _save(root: Path, pending: Pending) -> None:
    write_atomic(under_root(root, PENDING_FILE), json.dumps(asdict(pending)) + "\n", 0o600)


def arm(root: Path, seconds: int, host: NetHost, session: str | None = None) -> Pending | None:
    """Snapshot what is in effect and start the countdown; None when nothing was applied yet.

    A second change before the confirmation keeps the first snapshot (the last known
    good state) and restarts the countdown.
    """
    if _reverting:
        return None
    if session is None:
        session = os.environ.get("SSH_CONNECTION", "")
    now = time.time()
    pending = load_pending(root)
    if pending is None:
        applied = under_root(root, APPLIED_FILE)
        if not applied.exists():
            log.warning("no applied network configuration yet: this change cannot be rolled back")
            return None
        pending = Pending(applied.read_text(), now, now + seconds, session, seconds)
    else:
        pending.deadline, pending.seconds, pending.session = now + seconds, seconds, session
    _save(root, pending)
    if host.systemd:
        run(["systemctl", "daemon-reload"])
        run(["systemctl", "restart", TIMER])
    return pending


def confirm(root: Path, host: NetHost, session: str | None = None) -> Pending:
    """Keep the change. Refused from the session that made it: a new one proves access."""
    pending = load_pending(root)
    if pending is None:
        raise CtsysError("no network change is waiting for confirmation")
    if session is None:
        session = os.environ.get("SSH_CONNECTION", "")
    if pending.session and session == pending.session:
        client = pending.session.split()[0]
        raise CtsysError(
            f"confirm from a new connection: this is the SSH session ({client}) that made the change",
            hint="open a second SSH session to the appliance and run `ctsys net confirm` there",
        )
    finished(root, host)
    return pending


def wait_until_due(root: Path, limit: float = 7200.0, sleep: Callable[[float], None] = time.sleep) -> bool:
    """For the timer's run: wait until the pending change's deadline; False if it was confirmed.

    The timer fires N seconds after an arm, but the deadline can be later: the guard
    arms N plus a margin before the apply, and the countdown restarts when it ends.
    """
    end = time.monotonic() + limit
    while time.monotonic() < end:
        pending = load_pending(root)
        if pending is None:
            return False
        left = pending.remaining()
        if left <= 0.5:
            return True
        sleep(min(left, 1.0))
    return False


def finished(root: Path, host: NetHost) -> None:
    """The change was confirmed or reverted: drop the snapshot and stop the timer."""
    remove_durable(under_root(root, PENDING_FILE))
    if host.systemd:
        run(["systemctl", "stop", TIMER], check=False)
