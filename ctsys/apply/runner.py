"""Put a document into effect: preflight, apply the modules, journal the apply. Prints nothing.

The caller holds the configuration lock and passes the document it holds
(`ctsys.change` does both), so the document applied is the one just committed,
read once. The CLI prints the `ApplyReport`; the HTTPS API will serialise it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ctsys.apply.engine import Engine, Outcome
from ctsys.config.document import Appliance


@dataclass
class ApplyReport:
    """What one apply did: each module's outcome, in order, and the preflight's warnings."""

    modules: list[Outcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.modules if o.status in ("failed", "skipped")]

    @property
    def applied(self) -> list[str]:
        return [o.module for o in self.modules if o.status == "applied"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def error(self) -> str | None:
        """The failed modules and their errors, or None."""
        return "; ".join(f"{o.module}: {o.error}" for o in self.failed) or None

    def to_dict(self) -> dict[str, Any]:
        """JSON keys: modules[] (module, status, reasons, files, services, error, seconds), warnings, ok."""
        return {"modules": [asdict(o) for o in self.modules], "warnings": list(self.warnings), "ok": self.ok}


def engine(root: str | Path, live: bool, progress: Callable[[Outcome], None] | None = None) -> Engine:
    from ctsys.apply.registry import all_modules

    return Engine(root, all_modules(), live=live, progress=progress)


def apply_document(
    root: str | Path,
    doc: Appliance,
    *,
    live: bool,
    only: tuple[str, ...] = (),
    everything: bool = False,
    force: bool = False,
    progress: Callable[[Outcome], None] | None = None,
) -> ApplyReport:
    """Apply `doc` (the lock held): the modules whose inputs changed, or `only` those, or `everything`.

    Live, each module about to be applied runs its preflight first; `force` (the
    caller's --force) reaches them as an argument. A refusal raises before any file
    is written. The apply is journaled as the action `apply`, ok or with the errors.
    """
    from ctsys import journal
    from ctsys.errors import CtsysError

    eng = engine(root, live, progress)
    try:
        warnings = eng.preflight(doc, force=everything, only=only, override=force)
    except CtsysError as exc:
        journal.record_error(str(root), "apply", exc)
        raise
    report = ApplyReport(eng.apply(doc, force=everything, only=only), warnings)
    details = {"applied": ",".join(report.applied)}
    error = report.error()
    if error is None:
        journal.record(str(root), "apply", "ok", details)
    else:
        journal.record_error(str(root), "apply", error, details)
    return report


def preview(
    root: str | Path, doc: Appliance, only: tuple[str, ...] = (), everything: bool = False
) -> tuple[list[Outcome], str]:
    """What an apply of `doc` would change, and the unified diff of every file; changes nothing."""
    return engine(root, live=False).diff(doc, force=everything, only=only)
