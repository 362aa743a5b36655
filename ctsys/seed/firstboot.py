"""`--first-boot`: once per seed content, and early in boot without waiting on later units.

The stamp lists the sha256 of every seed applied (at boot or by hand), so the seed
left on the ESP is not applied again at each boot, and a seed applied once never
comes back over later changes (a CT-SEED disk removed, then the older ESP seed seen
again). A new seed content is applied.

During boot, ctsys-seed.service runs before sysinit.target, networkd and sshd:
the live apply would start units that are ordered after it (timers, snmpd) and
wait for them forever, and arm the network rollback nobody can confirm. So the
files are rendered as in an image build (what starts later reads them), and only
what was set up before the unit is redone: host name and admin account
(the system module's own activation) and networkd's files (`netplan generate`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ctsys.apply.engine import Outcome
from ctsys.errors import CtsysError
from ctsys.fsutil import under_root, write_atomic
from ctsys.run import run

STAMP = "/var/lib/ctsys/seed-applied.json"


def applied(root: str | Path) -> list[dict[str, Any]]:
    """Every seed applied on this system: sha256, source, time, revision."""
    path = under_root(root, STAMP)
    try:
        entries = json.loads(path.read_text())
    except FileNotFoundError:
        return []
    except ValueError as exc:
        raise CtsysError(f"{path} is damaged ({exc})", hint="remove it: a seed found is then applied again") from None
    return entries if isinstance(entries, list) else []


def applied_before(root: str | Path, sha256: str) -> bool:
    return any(entry.get("sha256") == sha256 for entry in applied(root))


def remember(root: str | Path, sha256: str, where: str, revision: int | None) -> None:
    entries = [e for e in applied(root) if e.get("sha256") != sha256]
    entries.append({
        "sha256": sha256,
        "source": where,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "revision": revision,
    })
    write_atomic(under_root(root, STAMP), json.dumps(entries, indent=1) + "\n", 0o600)


def boot_in_progress() -> bool:
    """True while systemd is still starting the system (the seed unit's own run)."""
    state = run(["systemctl", "is-system-running"], check=False, timeout=30).stdout.strip()
    return state in ("initializing", "starting")


def apply_during_boot(root: str | Path) -> list[Outcome]:
    """Render every module's files without touching services, then redo what ran before this unit."""
    from ctsys.apply.engine import Engine
    from ctsys.apply.module import ApplyContext
    from ctsys.apply.registry import all_modules
    from ctsys.config.store import ConfigStore
    from ctsys.system.apply_modules import MODULES as SYSTEM_MODULES
    from ctsys.system.apply_modules import activate_system

    store = ConfigStore(root)
    with store.locked():
        doc = store.load()
        outcomes = Engine(root, all_modules(), live=False).apply(doc)
    failed = [f"{o.module}: {o.error}" for o in outcomes if o.status in ("failed", "skipped")]
    if failed:
        raise CtsysError("the seed's settings could not be rendered:\n  " + "\n  ".join(failed))
    activate_system(ApplyContext(Path(root), doc, SYSTEM_MODULES[0]))
    # netplan's generator ran before this unit: networkd must start from the seed's network.
    run(["netplan", "generate"], timeout=120)
    return outcomes
