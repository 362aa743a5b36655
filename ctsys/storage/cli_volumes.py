"""`ctsys storage ...`: fill dashboard, adopt, replicate, hotplug monitor."""

from __future__ import annotations

from typing import Any

import click

from ctsys.cli import Obj
from ctsys.errors import CtsysError
from ctsys.output import json_option, table
from ctsys.storage import human_size
from ctsys.storage.changes import change_storage, load, mount_now


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

    from ctsys.storage.adopt import STAMP, merge, restore_index, scan, wait_for_arrays

    if first_boot:
        wait_for_arrays()
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
                mount_now(obj, volume)
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
    if not database.is_file():
        # Before the recorder's first start there is nothing to protect: not a failure (the timer runs anyway).
        click.echo(f"no recordings index at {database} yet: nothing to copy")
        return
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
