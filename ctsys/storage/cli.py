"""`ctsys disk|raid|smart|storage ...`: thin Click commands over ctsys.storage's modules."""

from __future__ import annotations

from typing import Any

import click

from ctsys.cli import Obj
from ctsys.output import emit, json_option, table
from ctsys.storage import human_size


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
            (d.path, human_size(d.size), d.kind, d.transport or "-", d.model or "-", d.serial or "-",
             d.role, _smart_cell(d), _mounts(d))
            for d in items
        ]
        return table(rows, ["name", "size", "kind", "tran", "model", "serial", "role", "smart", "mounted"])

    emit(disks, as_json, human)


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
                (s.device, health, cell(s.temperature), cell(s.power_on_hours), cell(s.reallocated_sectors),
                 cell(s.pending_sectors), cell(s.nvme_critical_warning), "; ".join(s.problems) or (s.reason or "ok"))
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
    """RAID arrays (mdadm): create, status, add a spare, replace a member, remove."""


@click.group()
def storage() -> None:
    """Data volumes: fill dashboard, re-adoption after a reinstall, index replication."""


def _obj(ctx: click.Context) -> Obj:
    obj = ctx.find_object(Obj)
    assert obj is not None
    return obj
