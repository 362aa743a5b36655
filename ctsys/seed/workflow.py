"""`ctsys seed apply` as a function: find the seed, check it whole, change the document, apply it.

The command (ctsys/seed/cli.py) only prints what this returns. A seed applied
before (same sha256) is skipped at first boot; during boot the files are
rendered for the services that start later (ctsys/seed/firstboot.py) instead
of reloading services. Every apply is remembered, so a seed applied by hand is
not applied again at the next boot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ctsys.output import Progress, printed_to, quiet
from ctsys.seed import firstboot

if TYPE_CHECKING:
    from ctsys.cli import Obj
    from ctsys.seed.parse import Seed
    from ctsys.seed.plan import Plan


@dataclass
class SeedApply:
    """Where the seed was looked for, the one found, what it changes, and what was done."""

    # not-found, applied-before (first boot: skipped), dry-run (checked, nothing changed), applied
    status: str
    looked: list[str]
    seed: Seed | None = None
    applied_before: bool = False
    plan: Plan | None = None  # the document with the seed's settings, and what changes
    revision: int | None = None  # the new revision (None: the document already said it)
    rendered: list[str] | None = field(default=None)  # during boot: the modules rendered

    @property
    def applied(self) -> bool:
        return self.status == "applied"


def find_seed(obj: Obj, devices: tuple[str, ...] = ()) -> tuple[Seed | None, list[str]]:
    """The first seed in the documented order (parsed), and what was passed over on the way."""
    from ctsys.seed import parse, sources

    search = sources.find(obj.root, devices)
    return (parse.load(search.seed) if search.seed else None), search.looked


def apply_seed(
    obj: Obj,
    *,
    devices: tuple[str, ...] = (),
    dry_run: bool = False,
    first_boot: bool = False,
    progress: Progress = quiet,
    planned: Callable[[SeedApply], None] | None = None,
) -> SeedApply:
    """Apply the seed found (see the module's docstring); a bad seed raises, changing nothing.

    `planned` is called once the seed is checked, before anything changes (the
    command shows the plan there); `progress` gets the revision and apply lines.
    """
    from ctsys import journal
    from ctsys.change import change
    from ctsys.config.store import ConfigStore
    from ctsys.errors import CtsysError
    from ctsys.seed.plan import plan, summary

    if first_boot and obj.live:
        from ctsys.storage.inventory import settle_udev

        settle_udev()  # a seed disk udev has not seen yet
    found, looked = find_seed(obj, devices)
    if found is None:
        return SeedApply("not-found", looked)
    before = firstboot.applied_before(obj.root, found.sha256)
    if first_boot and before:
        return SeedApply("applied-before", looked, found, before)
    try:
        result = plan(ConfigStore(obj.root).load(), found)  # every field checked before anything changes
    except CtsysError as exc:
        journal.record_error(obj.root, "seed.apply", exc, {"source": found.where})
        raise
    outcome = SeedApply("dry-run" if dry_run else "applied", looked, found, before, result)
    if planned is not None:
        planned(outcome)
    if dry_run:
        return outcome
    # The document only: the apply comes just below, at boot or as `ctsys apply`.
    rev = change(obj.root, "seed.apply", lambda doc: plan(doc, found).doc, apply=False,
                 summary=summary(found, result)).revision
    if rev is not None:
        outcome.revision = rev.number
        progress(f"revision {rev.number}: {rev.summary}")
    if first_boot and obj.live and firstboot.boot_in_progress():
        try:
            outcomes = firstboot.apply_during_boot(obj.root)
        except CtsysError as exc:
            journal.record_error(obj.root, "apply", exc, {"during": "boot"})
            raise
        outcome.rendered = [o.module for o in outcomes if o.status == "applied"]
        journal.record(obj.root, "apply", "ok", {"applied": ",".join(outcome.rendered), "during": "boot"})
        progress(f"rendered for this boot: {', '.join(outcome.rendered) or 'nothing changed'}")
    else:
        from ctsys.commands import run_apply

        with printed_to(progress):
            run_apply(obj)
    # Remembered by every apply: a seed applied by hand is not applied again at the next boot.
    firstboot.remember(obj.root, found.sha256, found.where, outcome.revision)
    return outcome
