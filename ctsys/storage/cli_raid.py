"""`ctsys raid ...`: mdadm arrays (thin commands over ctsys.storage.raid)."""

from __future__ import annotations

from typing import Any

import click

from ctsys.cli import Obj
from ctsys.config.document import Appliance
from ctsys.errors import CtsysError
from ctsys.output import json_option, table
from ctsys.storage import human_size
from ctsys.storage.changes import change_storage, load, mount_now, with_storage


@click.group()
def raid() -> None:
    """RAID arrays (mdadm): create, status, add a spare, replace a member, remove.

    Members are whole disks; the same refusals as `ctsys disk format` apply to
    them. mdadm.conf and the initramfs follow every change; mdadm's monitor
    events reach the journal and the alert hooks (`raid` alerts).
    """


def _members(names: tuple[str, ...], force: bool, serials: tuple[str, ...], action: str) -> list[Any]:
    from ctsys.storage.format import check_allowed, confirmation_token, refusals
    from ctsys.storage.inventory import find_disk, list_disks

    loops = any(n.removeprefix("/dev/").startswith("loop") for n in names)
    disks = list_disks(include_loop=loops)
    chosen = [find_disk(n, disks) for n in names]
    if len({d.path for d in chosen}) != len(chosen):
        raise CtsysError("the same disk is named twice", hint="nothing was changed")
    for d in chosen:
        token = confirmation_token(d)
        check_allowed(d, force, token if token in serials else (serials[0] if serials else None), action, refusals(d))
    return chosen


@raid.command("create")
@click.option("--level", type=click.Choice(["1", "5", "6", "10"]), required=True, help="RAID level.")
@click.argument("disks", nargs=-1, required=True, metavar="DISK...")
@click.option("--spare", "spares", multiple=True, metavar="DISK", help="A hot spare (repeatable).")
@click.option("--name", help="Array name (md0, md1, ...); default: the first free one.")
@click.option(
    "--fs",
    "filesystem",
    type=click.Choice(["ext4", "xfs"]),
    default="ext4",
    show_default=True,
    help="Filesystem of the data volume made on the array.",
)
@click.option("--no-volume", is_flag=True, help="Create the array only; no filesystem, no data volume.")
@click.option(
    "--force", is_flag=True, help="Accept sizes differing by more than 10 %, and override refusals (with --serial)."
)
@click.option("--serial", "serials", multiple=True, help="Serial number of each refused disk, typed back (repeatable).")
@click.option("--wait", is_flag=True, help="Show the initial resync until it ends (the array is usable meanwhile).")
@click.pass_obj
def raid_create(
    obj: Obj,
    level: str,
    disks: tuple[str, ...],
    spares: tuple[str, ...],
    name: str | None,
    filesystem: str,
    no_volume: bool,
    force: bool,
    serials: tuple[str, ...],
    wait: bool,
) -> None:
    """Create a RAID 1, 5, 6 or 10 array from free DISKs, and a data volume on it.

    \b
    Examples:
      ctsys raid create --level 1 sdb sdc
      ctsys raid create --level 5 sdb sdc sdd --spare sde
    """
    from ctsys.config.sections.storage import DataVolume, RaidArray
    from ctsys.storage import raid as md
    from ctsys.storage.format import make_volume

    level_n = int(level)
    md.check_level(level_n, len(disks))
    members = _members(disks + spares, force, serials, "add to a RAID array")
    md.check_sizes(members, force)
    doc = load(obj)
    name = name or md.next_array_name({a.name for a in doc.storage.arrays})
    if any(a.name == name for a in doc.storage.arrays):
        raise CtsysError(f"--name {name}: an array of that name is configured already")
    active, spare_disks = members[: len(disks)], members[len(disks) :]
    uuid = md.create(name, level_n, active, spare_disks, lambda t: click.echo(f"  {t}"))
    array = RaidArray(name=name, uuid=uuid, level=level_n, devices=len(active), spares=len(spare_disks))

    def add_array(current: Appliance) -> Appliance:
        return with_storage(current, current.storage.model_copy(update={"arrays": [*current.storage.arrays, array]}))

    change_storage(obj, "raid.create", add_array, modules=("mdadm",), details={"array": name, "uuid": uuid})
    click.echo(f"/dev/{name}: RAID {level_n}, UUID {uuid}")
    if not no_volume:
        volume_id = load(obj).storage.next_volume_id()
        if volume_id is None:
            raise CtsysError("all 32 data volume numbers are in use; the array was created without a volume")
        click.echo(f"  creating {filesystem} ctdata-{volume_id} on /dev/{name}")
        fs_uuid = make_volume(f"/dev/{name}", volume_id, filesystem, None)
        volume = DataVolume(id=volume_id, uuid=fs_uuid, filesystem=filesystem)

        def add_volume(current: Appliance) -> Appliance:
            return with_storage(
                current, current.storage.model_copy(update={"volumes": [*current.storage.volumes, volume]})
            )

        change_storage(obj, "storage.volume.add", add_volume, details={"volume": volume.label, "array": name})
        mount_now(obj, volume)
    if wait:
        final = md.wait_for_sync(name, lambda t: click.echo(f"  {t}"))
        click.echo(f"{name}: {final.state}")
    else:
        click.echo(f"initial resync runs in the background: ctsys raid status {name}")


def _array_rows(arrays: list[Any]) -> str:
    rows = []
    for a in arrays:
        sync = f"{a.sync_action} {a.sync_percent:g} %" if a.sync_percent is not None else (a.sync_waiting or "-")
        members = " ".join(
            m.device + ("(F)" if m.failed else "(S)" if m.spare else "")
            for m in sorted(a.members, key=lambda m: m.slot)
        )
        size = human_size(a.size_bytes) if a.size_bytes else "-"
        disks = f"{a.active_disks}/{a.raid_disks}" if a.raid_disks else "-"
        rows.append((a.name, a.level or "-", size, a.state, disks, a.member_map or "-", sync, members))
    return table(rows, ["array", "level", "size", "state", "active", "map", "sync", "members"])


@raid.command("status")
@click.argument("array_name", metavar="ARRAY", required=False)
@json_option
@click.pass_obj
def raid_status(obj: Obj, array_name: str | None, as_json: bool) -> None:
    """State of each array: clean, degraded, resyncing or recovering (with percent).

    Configured arrays the kernel does not know are listed as missing. JSON keys:
    name, state, level, size_bytes, raid_disks, active_disks, member_map,
    members[] {device, slot, failed, spare}, sync_action, sync_percent,
    sync_finish_minutes, failed, spares, configured.
    """
    from ctsys.storage.mdstat import read_mdstat
    from ctsys.storage.raid import find_array

    arrays = read_mdstat()
    if array_name:
        arrays = [find_array(array_name, arrays)]
    configured = {a.name for a in load(obj).storage.arrays}
    missing = sorted(configured - {a.name for a in read_mdstat()}) if not array_name else []
    if as_json:
        from ctsys.output import print_json, to_jsonable

        data = [
            {
                **to_jsonable(a),
                "state": a.state,
                "size_bytes": a.size_bytes,
                "failed": a.failed,
                "spares": a.spares,
                "configured": a.name in configured,
            }
            for a in arrays
        ] + [{"name": n, "state": "missing", "configured": True} for n in missing]
        print_json(data)
        return
    if not arrays and not missing:
        click.echo("no RAID array")
        return
    click.echo(_array_rows(arrays))
    for n in missing:
        click.echo(f"{n}: MISSING (configured, not assembled)")


@raid.command("add-spare")
@click.argument("array_name", metavar="ARRAY")
@click.argument("disk_name", metavar="DISK")
@click.option("--force", is_flag=True, help="Override refusals (with --serial).")
@click.option("--serial", help="The disk's serial number, typed back to confirm --force.")
@click.pass_obj
def raid_add_spare(obj: Obj, array_name: str, disk_name: str, force: bool, serial: str | None) -> None:
    """Add DISK to ARRAY as a hot spare (it takes over when a member fails)."""
    from ctsys.storage import raid as md

    array = md.find_array(array_name)
    (disk_obj,) = _members((disk_name,), force, (serial,) if serial else (), "add to a RAID array")
    md.check_sizes([disk_obj, *_member_disks(array)], force)
    md.add_spare(array, disk_obj)
    _bump_spares(obj, array.name, +1, "raid.spare.add")
    click.echo(f"{disk_obj.path} added to {array.name} as a spare")


def _member_disks(array: Any) -> list[Any]:
    from ctsys.storage.inventory import list_disks

    names = {m.device for m in array.members if not m.failed}
    return [d for d in list_disks(include_loop=True) if d.name in names] or []


def _bump_spares(obj: Obj, name: str, delta: int, action: str) -> None:
    def edit(current: Appliance) -> Appliance:
        arrays = [
            a.model_copy(update={"spares": max(0, a.spares + delta)}) if a.name == name else a
            for a in current.storage.arrays
        ]
        return with_storage(current, current.storage.model_copy(update={"arrays": arrays}))

    change_storage(obj, action, edit, modules=("mdadm",), details={"array": name})


@raid.command("replace")
@click.argument("array_name", metavar="ARRAY")
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@click.option("--force", is_flag=True, help="Override refusals on NEW (with --serial).")
@click.option("--serial", help="NEW's serial number, typed back to confirm --force.")
@click.option("--wait", is_flag=True, help="Show the rebuild until it ends.")
@click.pass_obj
def raid_replace(obj: Obj, array_name: str, old: str, new: str, force: bool, serial: str | None, wait: bool) -> None:
    """Replace member OLD of ARRAY by disk NEW; the array rebuilds onto NEW.

    OLD is a member's name (sdb), or `failed` for a failed or pulled member.
    A working OLD stays in service until NEW holds a full copy (mdadm --replace).
    """
    from ctsys.storage import raid as md

    array = md.find_array(array_name)
    (disk_obj,) = _members((new,), force, (serial,) if serial else (), "add to a RAID array")
    how = md.replace(array, old, disk_obj)
    click.echo(f"{disk_obj.path} replaces {old} in {array.name} ({how} started)")
    from ctsys import journal

    journal.record(obj.root, "raid.replace", "ok", {"array": array.name, "old": old, "new": disk_obj.path})
    if wait:
        final = md.wait_for_sync(array.name, lambda t: click.echo(f"  {t}"))
        click.echo(f"{array.name}: {final.state}")


@raid.command("remove")
@click.argument("array_name", metavar="ARRAY")
@click.option("--confirm", "confirm", help="The array's name typed back: everything on it is lost.")
@click.pass_obj
def raid_remove(obj: Obj, array_name: str, confirm: str | None) -> None:
    """Stop ARRAY, erase its members' RAID superblocks, forget it (and its data volume).

    Refused while its data volume is mounted (ctsys disk unmount N first).
    """
    from ctsys.storage import raid as md
    from ctsys.storage.inventory import probe
    from ctsys.storage.mounts import is_mounted

    array = md.find_array(array_name)
    fs_uuid = probe(f"/dev/{array.name}").get("UUID")
    doc = load(obj)
    volume = next((v for v in doc.storage.volumes if v.uuid == fs_uuid), None)
    if volume is not None and is_mounted(volume.mountpoint):
        raise CtsysError(
            f"{array.name} holds {volume.label}, mounted at {volume.mountpoint}",
            hint=f"unmount it first: ctsys disk unmount {volume.id}",
        )
    if confirm != array.name:
        raise CtsysError(
            f"removing {array.name} destroys everything on it",
            hint=f"repeat with --confirm {array.name}; nothing was changed",
        )
    members = md.remove(array)

    def edit(current: Appliance) -> Appliance:
        arrays = [a for a in current.storage.arrays if a.name != array.name]
        volumes = [v for v in current.storage.volumes if v.uuid != fs_uuid]
        return with_storage(current, current.storage.model_copy(update={"arrays": arrays, "volumes": volumes}))

    change_storage(obj, "raid.remove", edit, modules=("storage", "mdadm"), details={"array": array.name})
    click.echo(f"{array.name} stopped; members {', '.join(members)} are free")


@raid.command("event", hidden=True)
@click.argument("event")
@click.argument("device")
@click.argument("component", required=False)
@click.pass_obj
def raid_event(obj: Obj, event: str, device: str, component: str | None) -> None:
    """mdadm --monitor's PROGRAM: EVENT MD-DEVICE [COMPONENT] -> journal and `raid` alert."""
    from ctsys.alerts import raise_alert
    from ctsys.storage.raid import event_alert

    found = event_alert(event, device, component)
    if found is None:
        click.echo(f"{device}: {event}")  # progress: the journal (stdout) is enough
        return
    severity, state, message = found
    raise_alert(obj.root, "raid", device.removeprefix("/dev/"), f"{event}: {message}", severity, state)
    click.echo(f"{device}: {event}: {message}")
