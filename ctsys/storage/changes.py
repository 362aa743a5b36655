"""Change the `storage` section and put it into effect: the storage commands' side of the change service."""

from __future__ import annotations

from collections.abc import Callable

import click

from ctsys.cli import Obj
from ctsys.config.document import Appliance, validate
from ctsys.config.sections.storage import DataVolume, StorageSection


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
    """Make the change through the change service, then apply `modules`, even when the
    document already said it: the disk was just formatted, mounted or assembled."""
    from ctsys.commands import run_change

    doc = run_change(obj, action, edit, modules, details=details, apply_unchanged=True).doc
    assert doc is not None
    return doc


def load(obj: Obj) -> Appliance:
    from ctsys.config.store import ConfigStore

    return ConfigStore(obj.root).load()


def mount_now(obj: Obj, volume: DataVolume) -> None:
    from ctsys.storage.mounts import mount_volume

    mount_volume(volume, obj.root)
    click.echo(f"{volume.label} mounted at {volume.mountpoint}")
