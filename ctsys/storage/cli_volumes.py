"""`ctsys storage ...`: fill dashboard, adopt (with the recorder's configuration), replicate, hotplug monitor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ctsys.cli import Obj
from ctsys.errors import CtsysError
from ctsys.output import json_option, table
from ctsys.storage import human_size
from ctsys.storage.changes import load

if TYPE_CHECKING:
    from ctsys.storage.adoption import Adoption


@click.group()
def storage() -> None:
    """Data volumes: fill dashboard, re-adoption after a reinstall, copies of the index and cameras section."""


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
@click.option("--dry-run", is_flag=True, help="Show what would be adopted, restored and reindexed; change nothing.")
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
    Each volume keeps its number N when it is free. Then, from the volumes:

    \b
    - the recordings index, when the system has none: the newest copy;
    - the cameras section, when the document has no camera and no recorder
      volume: the newest valid copy, with recorder volume paths moved to the
      volumes' new numbers; a damaged copy is named and skipped; a document
      with cameras or recorder volumes is never overwritten;
    - a volume holding segments that no recorder volume covers gets the
      recorder volume ctdata-N (listed and exported, nothing records there);
    - without an index copy, every segment is indexed from the files, as
      `ctsys record reindex` does, whatever its age (at first boot in the
      background, once the recorder runs: ctsys-storage-reindex.service).

    JSON: adopted[], index_restored_from, cameras {status (restored,
    volumes-added, kept, nothing), source, revision, written, appliance,
    moved[], added[], rejected[], warnings[]}, reindex {volumes[], done,
    background, scanned, indexed, removed, unreadable[], error} or null,
    dry_run. With --dry-run, index_restored_from and cameras say what would be.
    """
    from ctsys.output import echo_progress, print_json
    from ctsys.storage.adoption import adopt

    result = adopt(
        obj,
        dry_run=dry_run,
        first_boot=first_boot,
        include_loop=include_loop,
        only=only,
        progress=echo_progress(to_stderr=as_json),
    )
    if as_json:
        print_json(
            {
                "adopted": result.adopted,
                "index_restored_from": result.index_restored_from,
                "cameras": result.cameras,
                "reindex": result.reindex,
                "dry_run": result.dry_run,
            }
        )
    else:
        for line in adopt_lines(result):
            click.echo(line)
    if result.reindex is not None and result.reindex.error:
        raise CtsysError(f"reindex failed: {result.reindex.error}", hint="run `ctsys record reindex`")


def adopt_lines(result: Adoption) -> list[str]:
    """What `storage adopt` did, or would do with --dry-run, one line each."""
    adopted, restored, plan, reindex, dry_run = (
        result.adopted,
        result.index_restored_from,
        result.cameras,
        result.reindex,
        result.dry_run,
    )
    would = "would be " if dry_run else ""
    lines = [] if adopted else ["no ctdata volume found"]
    for a in adopted:
        note = f" (its marker says ctdata-{a.marker_id})" if a.status == "renumbered" else ""
        lines.append(f"{a.device}: ctdata-{a.volume_id} {a.status}{note}")
    if restored:
        lines.append(f"recordings index {would}restored from {restored}")
    lines.extend(f"copy of the cameras section skipped: {r.path}: {r.reason}" for r in plan.rejected)
    if plan.status == "kept":
        copy = f" (the copy {plan.source} is not applied)" if plan.source else ""
        lines.append(f"the document already has cameras or recorder volumes: its cameras section is kept{copy}")
    elif plan.status == "restored":
        revision = f"revision {plan.revision}" if plan.revision is not None else "no revision"
        lines.append(
            f"cameras section {would}restored from {plan.source} ({revision} of {plan.appliance}, "
            f"copied {plan.written})"
        )
    lines.extend(f"  recorder volume {m.volume}: {m.old} -> {m.new}" for m in plan.moved)
    lines.extend(
        f"recorder volume {a.name} {would}added for the recordings in {a.path} (listed and exported; no camera)"
        for a in plan.added
    )
    lines.extend(f"warning: {w}" for w in plan.warnings)
    if reindex is not None and reindex.background and not reindex.error:
        lines.append(
            f"recordings on {', '.join(reindex.volumes)} are indexed from the files once the recorder runs "
            f"(journalctl -u {reindex.background})"
        )
    elif reindex is not None and reindex.done:
        lines.append(
            f"recordings indexed from the files on {', '.join(reindex.volumes)}: "
            f"{reindex.indexed} segment{'' if reindex.indexed == 1 else 's'}, {len(reindex.unreadable)} unreadable"
        )
        lines.extend(f"  unreadable: {path}" for path in reindex.unreadable)
    elif reindex is not None and dry_run:
        lines.append(f"recordings on {', '.join(reindex.volumes)} would be indexed from the files")
    if dry_run:
        lines.append("dry run: nothing was changed")
    return lines


@storage.command("replicate")
@json_option
@click.pass_obj
def storage_replicate(obj: Obj, as_json: bool) -> None:
    """Copy the recordings index and the cameras section to .ctdata/index/ on every mounted data volume.

    Run by ctsys-storage-replicate.timer and at shutdown; `ctsys storage adopt`
    restores both after a reinstall. The cameras section (cameras.yaml, with
    its revision and camera credentials, mode 0600) is copied even before the
    recorder made its index, and not while it is empty. Exit 1 if a copy
    failed. JSON: copies[] (index), index {database, present}, cameras
    {revision, copies[], skipped}, errors[].
    """
    from pathlib import Path

    from ctsys.config.store import ConfigStore
    from ctsys.storage.cameras_copy import has_recorder_config
    from ctsys.storage.replicate import Copy, replicate, replicate_cameras
    from ctsys.storage.volumes import mounted_volumes

    doc = load(obj)
    database = Path(obj.root) / doc.storage.replication.database.lstrip("/")
    present = database.is_file()
    mounted = {u.id for u in mounted_volumes(doc.storage.volumes, obj.root)}
    volumes = [(v, str(Path(obj.root) / v.mountpoint.lstrip("/"))) for v in doc.storage.volumes if v.id in mounted]
    mounts = [m for _, m in volumes]
    copies: list[Copy] = []
    errors: list[str] = []
    if present:
        copies, errors = replicate(database, mounts)
    revisions = ConfigStore(obj.root).revisions()
    revision = revisions[-1] if revisions else None
    camera_copies, camera_errors = replicate_cameras(doc, revision, volumes)
    errors += camera_errors
    skipped = None
    if not mounts:
        skipped = "no data volume mounted"
    elif not has_recorder_config(doc):
        skipped = "the cameras section is empty: the copies on the volumes are left as they are"
    if as_json:
        from ctsys.output import print_json

        print_json(
            {
                "copies": copies,
                "index": {"database": str(database), "present": present},
                "cameras": {
                    "revision": revision.number if revision else None,
                    "copies": camera_copies,
                    "skipped": skipped,
                },
                "errors": errors,
            }
        )
    else:
        if not present:
            # Before the recorder's first start there is no index: not a failure (the timer runs anyway).
            click.echo(f"no recordings index at {database} yet: nothing to copy")
        for c in copies + camera_copies:
            click.echo(f"{c.path}: {human_size(c.bytes)} in {c.seconds:g} s")
        if not mounts:
            click.echo("no data volume mounted: nothing to copy to")
        elif skipped:
            click.echo(skipped)
    if errors:
        raise CtsysError("copy failed on: " + "; ".join(errors))


@storage.command("monitor")
def storage_monitor() -> None:
    """Record disk arrival and removal in the journal (run by ctsys-storage-hotplug.service)."""
    from ctsys.storage.hotplug import monitor

    monitor()
