"""`ctsys disk|raid|smart|storage ...`: thin Click commands over ctsys.storage's modules."""

from __future__ import annotations

from typing import Any

import click

from ctsys.cli import Obj
from ctsys.config.document import Appliance
from ctsys.errors import CtsysError
from ctsys.output import emit, json_option, table
from ctsys.storage import human_size
from ctsys.storage.changes import change_storage, load, with_storage


def _mounts(disk: Any) -> str:
    return ",".join(disk.all_mountpoints) or "-"


def _smart_cell(disk: Any) -> str:
    if disk.smart is None:
        return "-"
    if not disk.smart.get("available"):
        return "n/a"
    if disk.smart.get("problems"):
        return "FAILING" if disk.smart.get("healthy") is False else "WARN"
    temp = disk.smart.get("temperature")
    return "ok" + (f" {temp}°C" if temp is not None else "")


# --------------------------------------------------------------------------- disk
@click.group()
def disk() -> None:
    """Disks: inventory, format as a data volume, mount and unmount.

    Destructive commands refuse the system disk, mounted filesystems, RAID
    members and disks holding recordings or a ctdata marker, unless --force is
    given together with the disk's serial number (--serial).
    """


@disk.command("list")
@click.option(
    "--smart/--no-smart", default=True, show_default=True, help="Read a SMART summary per disk (one smartctl run each)."
)
@click.option("--loop", "include_loop", is_flag=True, help="Also list attached loop devices (tests).")
@json_option
def disk_list(smart: bool, include_loop: bool, as_json: bool) -> None:
    """List disks with model, serial, size, kind, transport, partitions and role.

    Roles: system (runs the appliance), data (a ctdata volume), raid-member,
    removable, in-use (holds something else), free.

    JSON: a list of disks with keys name, path, size (bytes), model, serial,
    vendor, wwn, kind (hdd, ssd, nvme, loop), transport, removable, read_only,
    pttype, fstype, label, uuid, mountpoints, holders, partitions[], role, smart.
    """
    from ctsys.storage.inventory import list_disks

    disks = list_disks(include_loop=include_loop, smart=smart)

    def human(items: list[Any]) -> str:
        rows = [
            (
                d.path,
                human_size(d.size),
                d.kind,
                d.transport or "-",
                d.model or "-",
                d.serial or "-",
                d.role,
                _smart_cell(d),
                _mounts(d),
            )
            for d in items
        ]
        return table(rows, ["name", "size", "kind", "tran", "model", "serial", "role", "smart", "mounted"])

    emit(disks, as_json, human)


def _progress(step: int, total: int, text: str) -> None:
    click.echo(f"[{step}/{total}] {text}" if step else f"      {text}")


def _confirm_serial(disk_obj: Any, force: bool, serial: str | None) -> str | None:
    """With --force and no --serial on a terminal, ask for the serial to be typed back."""
    import sys

    if force and serial is None and sys.stdin.isatty():
        return str(
            click.prompt(f"type the serial number of {disk_obj.path} to confirm", default="", show_default=False)
        )
    return serial


@disk.command("format")
@click.argument("disk_name", metavar="DISK")
@click.option(
    "--fs",
    "filesystem",
    type=click.Choice(["ext4", "xfs"]),
    default="ext4",
    show_default=True,
    help="Filesystem of the data volume.",
)
@click.option(
    "--id",
    "volume_id",
    type=click.IntRange(1, 32),
    help="Volume number N (ctdata-N, /srv/ctdata/N); default: the first free one.",
)
@click.option("--force", is_flag=True, help="Override the refusals that can be overridden (needs --serial).")
@click.option("--serial", help="The disk's serial number, typed back to confirm --force (its name for loop devices).")
@click.option("--no-mount", is_flag=True, help="Format only: do not add the volume to the document nor mount it.")
@click.option("--loop", "allow_loop", is_flag=True, hidden=True, help="Accept loop devices (tests).")
@click.pass_obj
def disk_format(
    obj: Obj,
    disk_name: str,
    filesystem: str,
    volume_id: int | None,
    force: bool,
    serial: str | None,
    no_mount: bool,
    allow_loop: bool,
) -> None:
    """Make DISK a data volume: GPT, one partition, FS labelled ctdata-N, marker.

    Then the volume is added to the document and mounted at /srv/ctdata/N by
    its systemd mount unit (nofail: a missing disk never blocks boot).

    Refused: the system disk, disks under an active RAID array, disks smaller
    than 1 GiB; and, unless --force with --serial: a mounted filesystem, a RAID
    superblock, a ctdata label or marker, recordings.
    """
    from ctsys import journal
    from ctsys.storage.format import check_allowed, format_disk, refusals
    from ctsys.storage.inventory import find_disk, list_disks

    name = disk_name.removeprefix("/dev/")
    target = find_disk(disk_name, list_disks(include_loop=allow_loop or name.startswith("loop")))
    doc = load(obj)
    if volume_id is None:
        volume_id = doc.storage.next_volume_id()
        if volume_id is None:
            raise CtsysError("all 32 data volume numbers are in use", hint="remove a volume from storage.volumes")
    elif doc.storage.volume(volume_id) is not None and not no_mount:
        existing = doc.storage.volume(volume_id)
        assert existing is not None
        raise CtsysError(
            f"--id {volume_id}: volume ctdata-{volume_id} already exists (uuid {existing.uuid})",
            hint="choose another number, or leave --id out",
        )
    try:
        check_allowed(target, force, _confirm_serial(target, force, serial), "format", refusals(target))
    except CtsysError as exc:
        journal.record(obj.root, "disk.format", "error: " + " ".join(str(exc).split())[:300], {"disk": target.path})
        raise
    result = format_disk(target, volume_id, filesystem, progress=_progress)
    journal.record(
        obj.root,
        "disk.format",
        "ok",
        {"disk": target.path, "serial": target.serial or "", "uuid": result.uuid, "label": result.label},
    )
    click.echo(f"{target.path}: {result.label} ({result.filesystem}, UUID {result.uuid}) in {result.seconds:g} s")
    if no_mount:
        return
    from ctsys.config.sections.storage import DataVolume

    volume = DataVolume(id=volume_id, uuid=result.uuid, filesystem=filesystem)

    def add(current: Appliance) -> Appliance:
        storage = current.storage.model_copy(update={"volumes": [*current.storage.volumes, volume]})
        return with_storage(current, storage)

    change_storage(obj, "storage.volume.add", add, details={"volume": volume.label, "uuid": volume.uuid})
    _mount_now(obj, volume)


def _mount_now(obj: Obj, volume: Any) -> None:
    from ctsys.storage.mounts import mount_volume

    mount_volume(volume, obj.root)
    click.echo(f"{volume.label} mounted at {volume.mountpoint}")


def _volume(doc: Appliance, ref: str) -> Any:
    """A configured volume from N, ctdata-N or /srv/ctdata/N."""
    text = ref.rstrip("/").removeprefix("/srv/ctdata/").removeprefix("ctdata-")
    if text.isdigit() and doc.storage.volume(int(text)) is not None:
        return doc.storage.volume(int(text))
    known = ", ".join(v.label for v in doc.storage.volumes) or "none"
    raise CtsysError(f"unknown data volume {ref!r} (volumes: {known})", hint="see `ctsys storage fill`")


def _set_enabled(volume_id: int, enabled: bool) -> Any:
    def edit(current: Appliance) -> Appliance:
        volumes = [
            v.model_copy(update={"enabled": enabled}) if v.id == volume_id else v for v in current.storage.volumes
        ]
        return with_storage(current, current.storage.model_copy(update={"volumes": volumes}))

    return edit


@disk.command("mount")
@click.argument("volume_ref", metavar="VOLUME")
@click.pass_obj
def disk_mount(obj: Obj, volume_ref: str) -> None:
    """Mount data VOLUME (N, ctdata-N or /srv/ctdata/N) now and at every boot."""
    volume = _volume(load(obj), volume_ref)
    change_storage(obj, "storage.volume.mount", _set_enabled(volume.id, True), details={"volume": volume.label})
    _mount_now(obj, volume)


@disk.command("unmount")
@click.argument("volume_ref", metavar="VOLUME")
@click.option("--move-cameras", is_flag=True, help="Ask the recorder to move its cameras off the volume first.")
@click.pass_obj
def disk_unmount(obj: Obj, volume_ref: str, move_cameras: bool) -> None:
    """Unmount data VOLUME and stop mounting it at boot (e.g. before pulling the disk).

    Refused while a process (the recorder) writes there, unless --move-cameras.
    `ctsys disk mount VOLUME` brings it back.
    """
    from ctsys import journal
    from ctsys.storage.mounts import unmount_volume

    volume = _volume(load(obj), volume_ref)
    try:
        unmount_volume(volume, move_cameras=move_cameras, root=obj.root)
    except CtsysError as exc:
        journal.record(obj.root, "storage.volume.unmount", "error: " + " ".join(str(exc).split())[:300])
        raise
    change_storage(obj, "storage.volume.unmount", _set_enabled(volume.id, False), details={"volume": volume.label})
    click.echo(f"{volume.label} unmounted from {volume.mountpoint}")


# --------------------------------------------------------------------------- smart
@click.group()
def smart() -> None:
    """SMART health of disks (smartmontools): show figures, start self-tests.

    smartd watches every disk in the background (schedules and temperature
    limits from the `storage.smart` section) and raises `smart` alerts.
    """


@smart.command("show")
@click.argument("disk_name", metavar="DISK", required=False)
@json_option
def smart_show(disk_name: str | None, as_json: bool) -> None:
    """Health, temperature, reallocated/pending sectors, power-on hours, NVMe warnings.

    Without DISK, every physical disk. JSON keys: device, available, reason,
    protocol, model, serial, healthy, temperature, power_on_hours,
    reallocated_sectors, pending_sectors, uncorrectable_sectors,
    nvme_critical_warning, nvme_percentage_used, nvme_media_errors, self_test,
    self_test_remaining_percent, problems, ok.
    """
    from ctsys.storage.inventory import find_disk, list_disks
    from ctsys.storage.smart import SmartSummary, as_dict, read_smart

    disks = [find_disk(disk_name)] if disk_name else list_disks()
    summaries = []
    for d in disks:
        if d.kind == "loop" or d.transport == "virtio":
            summaries.append(SmartSummary(d.path, False, reason=f"{d.transport or d.kind} disks have no SMART"))
        else:
            summaries.append(read_smart(d.path))

    def cell(value: Any) -> str:
        return "-" if value is None else str(value)

    def human(items: list[SmartSummary]) -> str:
        rows = []
        for s in items:
            health = "n/a" if not s.available else ("PASSED" if s.healthy else "FAILED")
            rows.append(
                (
                    s.device,
                    health,
                    cell(s.temperature),
                    cell(s.power_on_hours),
                    cell(s.reallocated_sectors),
                    cell(s.pending_sectors),
                    cell(s.nvme_critical_warning),
                    "; ".join(s.problems) or (s.reason or "ok"),
                )
            )
        return table(rows, ["device", "health", "temp", "hours", "realloc", "pending", "nvme-warn", "notes"])

    if as_json:
        emit([as_dict(s) for s in summaries], True, str)
    else:
        emit(summaries, False, human)


@smart.command("test")
@click.argument("disk_name", metavar="DISK")
@click.option("--long", "long_test", is_flag=True, help="Run the long (extended) self-test instead of the short one.")
def smart_test(disk_name: str, long_test: bool) -> None:
    """Start a SMART self-test on DISK; the drive runs it in the background.

    Follow it with `ctsys smart show DISK` (self_test, remaining percent).
    """
    from ctsys.storage.inventory import find_disk
    from ctsys.storage.smart import start_self_test

    d = find_disk(disk_name)
    click.echo(start_self_test(d.path, "long" if long_test else "short"))


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
        _mount_now(obj, volume)
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


@click.group()
def storage() -> None:
    """Data volumes: fill dashboard, re-adoption after a reinstall, index replication."""


@storage.command("fill")
@click.option("--check", is_flag=True, help="Raise (or clear) disk-fill alerts against storage.fill_alert_percent.")
@click.option("--cameras", is_flag=True, help="Also show the space used per camera (walks the recordings).")
@json_option
@click.pass_obj
def storage_fill(obj: Obj, check: bool, cameras: bool, as_json: bool) -> None:
    """How full each data volume is: recordings, protected, other, free.

    The recorder's purge works from the same figures. JSON: system {total,
    used, free, percent}, volumes[] {id, label, mountpoint, uuid, mounted,
    total, used, free, percent, recordings, protected, other, cameras{}},
    threshold, alerts[].
    """
    from ctsys.storage.volumes import check_thresholds, fill, system_usage, usage

    doc = load(obj)
    threshold = doc.storage.fill_alert_percent
    index = doc.storage.replication.database
    if cameras or as_json:
        volumes: list[Any] = [fill(v, obj.root, index) for v in doc.storage.volumes]
    else:
        volumes = [usage(v, obj.root) for v in doc.storage.volumes]
    alerts = check_thresholds(volumes, threshold, obj.root) if check else []
    system = system_usage(obj.root)

    def pct(u: Any) -> str:
        return f"{u.percent:g} %" + (" !" if u.mounted and u.percent >= threshold else "")

    if as_json:
        from ctsys.output import print_json, to_jsonable

        data = {
            "system": {**to_jsonable(system), "percent": system.percent},
            "volumes": [{**to_jsonable(v), "percent": v.percent} for v in volumes],
            "threshold": threshold,
            "alerts": alerts,
        }
        print_json(data)
        return
    rows = [
        ("system", "/", human_size(system.total), human_size(system.used), "-", human_size(system.free), pct(system))
    ]
    for v in volumes:
        if not v.mounted:
            rows.append((v.label, v.mountpoint, "-", "-", "-", "-", "not mounted"))
            continue
        rec = human_size(v.recordings) if hasattr(v, "recordings") else "-"
        rows.append((v.label, v.mountpoint, human_size(v.total), human_size(v.used), rec, human_size(v.free), pct(v)))
    click.echo(table(rows, ["volume", "mountpoint", "size", "used", "recordings", "free", "full"]))
    if cameras:
        for v in volumes:
            for camera, size in getattr(v, "cameras", {}).items():
                click.echo(f"  {v.label} {camera}: {human_size(size)}")
    click.echo(f"alert threshold: {threshold} %")
    for a in alerts:
        click.echo(f"{'ALERT' if a.raised else 'cleared'}: {a.volume} at {a.percent:g} %")


@storage.command("adopt")
@click.option("--dry-run", is_flag=True, help="Only list the ctdata volumes found; change nothing.")
@click.option("--first-boot", is_flag=True, help="Run by ctsys-storage-adopt.service: remember it ran.")
@click.option("--loop", "include_loop", is_flag=True, hidden=True, help="Also look at loop devices (tests).")
@click.option("--only", "only", multiple=True, hidden=True, help="Look at these devices only (tests).")
@json_option
@click.pass_obj
def storage_adopt(
    obj: Obj, dry_run: bool, first_boot: bool, include_loop: bool, only: tuple[str, ...], as_json: bool
) -> None:
    """Find data volumes by their ctdata marker, add them to the document, mount them.

    Used after a reinstall of the system disk (automatically at first boot).
    Each volume keeps its number N when it is free. When the recordings index
    is missing, the newest copy replicated on the volumes is restored, so the
    recorder only reindexes recordings newer than that copy.
    """
    from pathlib import Path

    from ctsys.storage.adopt import STAMP, merge, restore_index, scan

    found = scan(include_loop=include_loop, only=only)
    doc = load(obj)
    new, adopted = merge(doc, found)
    restored = None
    if not dry_run and found:
        change_storage(
            obj,
            "storage.adopt",
            lambda current: merge(current, found)[0],
            details={"volumes": ",".join(str(a.volume_id) for a in adopted)},
        )
        for volume in new.storage.volumes:
            if volume.enabled and any(a.volume_id == volume.id for a in adopted):
                _mount_now(obj, volume)
        database = Path(obj.root) / new.storage.replication.database.lstrip("/")
        mounts = [str(Path(obj.root) / v.mountpoint.lstrip("/")) for v in new.storage.volumes]
        source = restore_index(database, mounts)
        restored = str(source) if source else None
    if first_boot and not dry_run:
        stamp = Path(obj.root) / STAMP
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.touch()
    if as_json:
        from ctsys.output import print_json

        print_json({"adopted": adopted, "index_restored_from": restored, "dry_run": dry_run})
        return
    if not adopted:
        click.echo("no ctdata volume found")
    for a in adopted:
        note = f" (its marker says ctdata-{a.marker_id})" if a.status == "renumbered" else ""
        click.echo(f"{a.device}: ctdata-{a.volume_id} {a.status}{note}")
    if restored:
        click.echo(f"recordings index restored from {restored}; the recorder reindexes newer recordings")


@storage.command("replicate")
@json_option
@click.pass_obj
def storage_replicate(obj: Obj, as_json: bool) -> None:
    """Copy the recordings index to .ctdata/index/ on every mounted data volume.

    Run by ctsys-storage-replicate.timer and at shutdown. Exit 1 if a copy failed.
    """
    from pathlib import Path

    from ctsys.storage.replicate import replicate
    from ctsys.storage.volumes import mounted_volumes

    doc = load(obj)
    database = Path(obj.root) / doc.storage.replication.database.lstrip("/")
    mounts = [str(Path(obj.root) / u.mountpoint.lstrip("/")) for u in mounted_volumes(doc.storage.volumes, obj.root)]
    copies, errors = replicate(database, mounts)
    if as_json:
        from ctsys.output import print_json

        print_json({"copies": copies, "errors": errors})
    else:
        for c in copies:
            click.echo(f"{c.path}: {human_size(c.bytes)} in {c.seconds:g} s")
        if not mounts:
            click.echo("no data volume mounted: nothing to copy to")
    if errors:
        raise CtsysError("index copy failed on: " + "; ".join(errors))


@storage.command("monitor")
def storage_monitor() -> None:
    """Record disk arrival and removal in the journal (run by ctsys-storage-hotplug.service)."""
    from ctsys.storage.hotplug import monitor

    monitor()


def _obj(ctx: click.Context) -> Obj:
    obj = ctx.find_object(Obj)
    assert obj is not None
    return obj
