"""Change the `storage` section and put it into effect (commit, journal, apply)."""

from __future__ import annotations

from collections.abc import Callable

import click

from ctsys.cli import Obj
from ctsys.config.document import Appliance, validate
from ctsys.config.sections.storage import DataVolume, StorageSection
from ctsys.errors import CtsysError


def with_storage(doc: Appliance, storage: StorageSection) -> Appliance:
    data = doc.model_dump(mode="json")
    data["storage"] = storage.model_dump(mode="json")
    return validate(data)


def change_storage(
    obj: Obj,
    action: str,
    edit: Callable[[Appliance], Appliance],
    modules: tuple[str, ...] = ("storage",),
    details: dict[str, str] | None = None,
) -> Appliance:
    """Apply `edit` to the document under the lock, commit it, then apply `modules`."""
    from ctsys import journal
    from ctsys.apply.cli import run_apply
    from ctsys.config.store import ConfigStore
    from ctsys.identity import command_line

    store = ConfigStore(obj.root)
    try:
        with store.transaction() as txn:
            new = edit(txn.doc)
            rev = txn.commit(new, command_line())
    except CtsysError as exc:
        journal.record(obj.root, action, "error: " + " ".join(str(exc).split())[:300], details)
        raise
    info = dict(details or {})
    info["revision"] = str(rev.number) if rev else "none"
    journal.record(obj.root, action, "ok", info)
    if rev is not None:
        click.echo(f"revision {rev.number}: {rev.summary}")
    run_apply(obj, dry_run=False, force=False, only=modules, as_json=False)
    return new


def load(obj: Obj) -> Appliance:
    from ctsys.config.store import ConfigStore

    return ConfigStore(obj.root).load()


def mount_now(obj: Obj, volume: DataVolume) -> None:
    from ctsys.storage.mounts import mount_volume

    mount_volume(volume, obj.root)
    click.echo(f"{volume.label} mounted at {volume.mountpoint}")
