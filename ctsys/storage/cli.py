"""`ctsys disk|raid|smart|storage ...`: thin Click commands over ctsys.storage's modules."""

from __future__ import annotations

from typing import Any

import click

from ctsys.cli import Obj
from ctsys.config.document import Appliance
from ctsys.errors import CtsysError
from ctsys.output import emit, json_option, table
from ctsys.storage import human_size
from ctsys.storage.changes import change_storage, load, mount_now, with_storage


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
    # Reformatting a configured volume (--force): it is replaced, and keeps its number.
    old_uuids = {u for u in [target.uuid, *(p.uuid for p in target.partitions)] if u}
    replaced = [v for v in doc.storage.volumes if v.uuid in old_uuids]
    if volume_id is None and replaced:
        volume_id = replaced[0].id
    elif volume_id is None:
        volume_id = doc.storage.next_volume_id()
        if volume_id is None:
            raise CtsysError("all 32 data volume numbers are in use", hint="remove a volume from storage.volumes")
    elif doc.storage.volume(volume_id) is not None and not no_mount and volume_id not in {v.id for v in replaced}:
        existing = doc.storage.volume(volume_id)
        assert existing is not None
        raise CtsysError(
            f"--id {volume_id}: volume ctdata-{volume_id} already exists (uuid {existing.uuid})",
            hint="choose another number, or leave --id out",
        )
    try:
        check_allowed(target, force, _confirm_serial(target, force, serial), "format", refusals(target))
    except CtsysError as exc:
        journal.record_error(obj.root, "disk.format", exc, {"disk": target.path})
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
        kept = [v for v in current.storage.volumes if v.uuid not in old_uuids and v.id != volume.id]
        storage = current.storage.model_copy(update={"volumes": [*kept, volume]})
        return with_storage(current, storage)

    change_storage(obj, "storage.volume.add", add, details={"volume": volume.label, "uuid": volume.uuid})
    mount_now(obj, volume)


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
    mount_now(obj, volume)


@disk.command("unmount")
@click.argument("volume_ref", metavar="VOLUME")
@click.option("--move-cameras", is_flag=True, help="First move the cameras recording there to another volume.")
@click.option("--to", "target", metavar="VOLUME", help="With --move-cameras: the data volume that takes them.")
@click.pass_obj
def disk_unmount(obj: Obj, volume_ref: str, move_cameras: bool, target: str | None) -> None:
    """Unmount data VOLUME and stop mounting it at boot (e.g. before pulling the disk).

    Refused while a process (the recorder) writes there. --move-cameras moves
    the cameras recording there to another recorder volume (cameras section),
    reloads the recorder and waits for it to close its files.
    `ctsys disk mount VOLUME` brings the volume back.
    """
    from ctsys import journal
    from ctsys.storage.mounts import unmount_volume
    from ctsys.storage.recorder_link import apply_move, plan_move

    doc = load(obj)
    volume = _volume(doc, volume_ref)
    wait = 0.0
    if move_cameras:
        target_mount = _volume(doc, target).mountpoint if target else None
        move = plan_move(doc, volume.mountpoint, target_mount)
        if move.cameras:
            change_storage(
                obj,
                "storage.volume.release",
                lambda current: apply_move(current, plan_move(current, volume.mountpoint, target_mount)),
                modules=("recorder",),
                details={"volume": volume.label, "cameras": ",".join(move.cameras)},
            )
            click.echo(f"cameras {', '.join(move.cameras)} moved to recorder volume {move.target_volume}")
            wait = 30.0
    try:
        unmount_volume(volume, root=obj.root, wait=wait)
    except CtsysError as exc:
        journal.record_error(obj.root, "storage.volume.unmount", exc)
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


# The other groups live in their own modules; ctsys/cli.py maps all four names here.
from ctsys.storage.cli_raid import raid  # noqa: E402
from ctsys.storage.cli_volumes import storage  # noqa: E402

__all__ = ["disk", "raid", "smart", "storage"]
