"""The change service: the one way every front end changes the appliance.

A `ctsys` command (and the HTTPS API to come) parses its input, calls
`change()`, and prints or serialises the `Outcome` it returns. Under ONE hold
of the configuration lock, `change()`:

  1. edits      `mutate(current) -> new`, and validates the whole new document:
                an error names the field, and nothing is written
  2. preflight  runs the caller's checks that need the machine (the network's:
                the NICs exist, the SSH session survives), with `force` as an
                argument; a refusal writes nothing
  3. commits    the revision with its history entry (none when the document
                already says it)
  4. journals   the action, ok or with the error (`errors.error_text`)
  5. applies    the affected modules to the document just committed
                (`ctsys.apply.runner`; the modules' own preflights get `force` too)

Nothing here prints. A `Listener` hears the commit and each applied module as
they happen, so a terminal shows the progress of a long apply.

    outcome = change(root, "system.hostname", lambda doc: edit.set_value(doc, "system.hostname", "cam1"))
    outcome.revision.number, outcome.applied.ok, outcome.to_dict()
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ctsys.apply.runner import ApplyReport, apply_document, preview
from ctsys.config import document
from ctsys.config.document import Appliance
from ctsys.config.edit import edit_data
from ctsys.config.store import ConfigStore, Revision
from ctsys.errors import CtsysError

if TYPE_CHECKING:
    from ctsys.apply.engine import Outcome as ModuleOutcome

Mutate = Callable[[Appliance], Appliance]
# (root, current document, new document, force) -> warnings; raises CtsysError to refuse.
Preflight = Callable[[Path, Appliance, Appliance, bool], list[str]]
# True: every module whose inputs changed; a tuple: only those modules; False: the document only.
Apply = bool | tuple[str, ...]

__all__ = ["Apply", "ApplyReport", "Listener", "Outcome", "apply_current", "change", "edit_data", "preview_current"]


class Listener(Protocol):
    def committed(self, outcome: Outcome) -> None:
        """The change is recorded (outcome.revision, or None: the document already said that)."""

    def module(self, result: ModuleOutcome) -> None:
        """One apply module is done (applied, unchanged, failed or skipped)."""


@dataclass
class Outcome:
    """What one change did: the revision, the preflight's warnings, and the apply's report."""

    action: str
    revision: Revision | None = None
    warnings: list[str] = field(default_factory=list)
    applied: ApplyReport | None = None  # None: not applied (apply=False, or nothing to change)
    doc: Appliance | None = field(default=None, repr=False, compare=False)  # the document afterwards

    @property
    def changed(self) -> bool:
        return self.revision is not None

    @property
    def ok(self) -> bool:
        return self.applied is None or self.applied.ok

    def to_dict(self) -> dict[str, Any]:
        """JSON keys: action, changed, revision {number, time, user, origin, command, summary} or
        null, warnings[], applied (`ApplyReport.to_dict`) or null, ok."""
        return {
            "action": self.action,
            "changed": self.changed,
            "revision": self.revision.to_json() if self.revision else None,
            "warnings": list(self.warnings),
            "applied": self.applied.to_dict() if self.applied else None,
            "ok": self.ok,
        }


def is_live(root: str | Path) -> bool:
    """Acting on the running system (root /): services are reloaded, preflights run."""
    return Path(root) == Path("/")


def change(
    root: str | Path,
    action: str,
    mutate: Mutate,
    *,
    preflight: Preflight | None = None,
    force: bool = False,
    apply: Apply = True,
    apply_unchanged: bool = False,
    summary: str | None = None,
    details: dict[str, str] | None = None,
    listener: Listener | None = None,
) -> Outcome:
    """Edit, check, commit, journal and apply one change under one hold of the lock.

    `action` names it in the action journal ("system.hostname"); `details` go with
    it. `summary` replaces the history's list of changed paths. `apply_unchanged`
    applies even when the document already said it (storage: the mount units must
    exist). Bad input and refusals raise CtsysError, journaled, with nothing written;
    a module that fails to apply does not raise: see `outcome.ok`.
    """
    from ctsys import journal
    from ctsys.identity import command_line

    root = Path(root)
    info = dict(details or {})
    with contextlib.ExitStack() as held:
        try:
            txn = held.enter_context(ConfigStore(root).transaction())
            new = document.validate(document.to_data(mutate(txn.doc)))
            warnings = list(preflight(root, txn.doc, new, force)) if preflight else []
            revision = txn.commit(new, command_line(), summary=summary)
        except CtsysError as exc:
            journal.record_error(str(root), action, exc, details)
            raise
        if revision is None:
            info["revision"] = "none"
        else:
            info.update(revision=str(revision.number), summary=revision.summary)
        journal.record(str(root), action, "ok", info)
        outcome = Outcome(action, revision, warnings, doc=new)
        if listener is not None:
            listener.committed(outcome)
        if apply is not False and (revision is not None or apply_unchanged):
            outcome.applied = _apply(root, new, apply, force, listener)
    return outcome


def apply_current(
    root: str | Path,
    *,
    only: tuple[str, ...] = (),
    everything: bool = False,
    force: bool = False,
    listener: Listener | None = None,
) -> Outcome:
    """Put the current document into effect (`ctsys apply`, `ctsys net apply`), under the lock.

    `everything` re-renders modules whose inputs did not change; `force` reaches the
    modules' preflights (the SSH session check). On a fresh tree (the image build)
    the defaults become the document's first revision.
    """
    from ctsys.identity import command_line

    root = Path(root)
    store = ConfigStore(root)
    with store.locked():
        doc = store.load()
        revision = None
        if not store.exists():
            revision = store.commit(doc, command_line(), summary="initial document")
        outcome = Outcome("apply", revision, doc=doc)
        outcome.applied = _apply(root, doc, only or True, force, listener, everything)
    return outcome


def preview_current(
    root: str | Path, only: tuple[str, ...] = (), everything: bool = False
) -> tuple[list[ModuleOutcome], str]:
    """What `apply_current` would do, and the unified diff of every file it would change."""
    return preview(root, ConfigStore(root).load(), only, everything)


def _apply(
    root: Path, doc: Appliance, apply: Apply, force: bool, listener: Listener | None, everything: bool = False
) -> ApplyReport:
    only = apply if isinstance(apply, tuple) else ()
    progress = listener.module if listener is not None else None
    return apply_document(root, doc, live=is_live(root), only=only, everything=everything, force=force,
                          progress=progress)
