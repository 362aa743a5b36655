"""The one way commands change the document: lock, edit, validate, record, journal, apply."""

from __future__ import annotations

from collections.abc import Callable

import click

from ctsys.config.document import Appliance
from ctsys.config.store import ConfigStore, Revision
from ctsys.errors import CtsysError


def change_document(
    obj: object,
    action: str,
    mutate: Callable[[Appliance], Appliance],
    apply: bool = True,
    only: tuple[str, ...] = (),
    summary: str | None = None,
) -> Revision | None:
    """Apply `mutate` to the current document under the lock and commit it.

    `action` names the change in the action journal (e.g. "system.hostname").
    With apply=True the apply engine runs afterwards (all dirty modules, or `only`).
    Bad input raises CtsysError before anything is written; it is journaled too.
    """
    from ctsys import journal
    from ctsys.identity import command_line

    root: str = obj.root  # type: ignore[attr-defined]
    try:
        with ConfigStore(root).transaction() as txn:
            rev = txn.commit(mutate(txn.doc), command_line(), summary=summary)
    except CtsysError as exc:
        journal.record(root, action, "error: " + " ".join(str(exc).split())[:300])
        raise
    if rev is None:
        journal.record(root, action, "ok", {"revision": "none"})
        click.echo("no change: the document already says that")
        return None
    journal.record(root, action, "ok", {"revision": str(rev.number), "summary": rev.summary})
    click.echo(f"revision {rev.number}: {rev.summary}")
    if apply:
        from ctsys.apply.cli import run_apply

        run_apply(obj, dry_run=False, force=False, only=only, as_json=False)  # type: ignore[arg-type]
    else:
        click.echo("run `ctsys apply` to put it into effect")
    return rev
