"""Put an unconfirmed network change back: document sections, files, kernel state.

`ctsys net rollback` (and its timer, with --expired) calls `revert`. It stands
above both the rollback's state (ctsys.net.rollback) and the network apply
modules, which arm and read that state: it commits the snapshot's sections and
applies those modules again. A plain function, so tests run it in a namespace
without systemd.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import yaml

from ctsys.apply.engine import Engine
from ctsys.config import document
from ctsys.config.store import ConfigStore
from ctsys.errors import CtsysError
from ctsys.net import rollback
from ctsys.net.apply_modules import MODULES
from ctsys.net.host import NetHost

log = logging.getLogger("ctsys.net.rollback")


def revert(root: Path, host: NetHost, expired_only: bool = False) -> rollback.Pending | None:
    """Put the snapshot back: document sections, files, kernel state. None if nothing pending."""
    pending = rollback.load_pending(root)
    if pending is None:
        return None
    # The timer starts after the deadline is written, so it never fires early; allow clock jitter.
    if expired_only and pending.remaining() > 0.5:
        log.info("rollback not due yet (%.0f s left)", pending.remaining())
        return None
    snapshot: dict[str, Any] = yaml.safe_load(pending.snapshot) or {}
    with rollback.reverting(), ConfigStore(root).transaction() as t:
        data = document.to_data(t.doc)
        data.update({k: v for k, v in snapshot.items() if k in rollback.SECTIONS})
        restored = document.validate(data)
        t.commit(restored, "ctsys net rollback", summary="network change not confirmed: rolled back")
        outcomes = Engine(root, list(MODULES), live=True).apply(restored, force=True)
    failed = [o for o in outcomes if o.status in ("failed", "skipped")]
    if failed:
        raise CtsysError("rollback incomplete: " + "; ".join(f"{o.module}: {o.error}" for o in failed))
    rollback.finished(root, host)
    return pending
