"""`ctsys record`: alarms, the index, retention, protection, export, the outage journal."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from ctsys.errors import CtsysError
from ctsys.output import emit, json_option, print_json, table
from ctsys.record.daemon import call, open_index, recorder_config
from ctsys.record.timeparse import iso, parse_duration, parse_size, parse_time


@click.group()
def record() -> None:
    """Recordings: alarm triggers, reindex, purge, delete, protect, export, journal."""


@record.command()
@click.argument("camera")
@click.option("--seconds", type=float, help="Hold the alarm this long (default: post-alarm).")
@json_option
@click.pass_context
def trigger(ctx: click.Context, camera: str, seconds: float | None, as_json: bool) -> None:
    """Start (or extend) an alarm recording on CAMERA, with its pre-alarm buffer."""
    config = recorder_config(ctx)
    if camera not in config.cameras:
        raise CtsysError(f"no camera named {camera!r}", hint="ctsys camera list")
    query = f"?seconds={seconds:g}" if seconds else ""
    result = call(config, "POST", f"/api/cameras/{camera}/alarm{query}")
    emit(result, as_json, lambda r: f"alarm on {camera} until {iso(r['active_until'])}")


@record.command("list")
@click.option("--camera")
@click.option("--from", "start", help="Start time (ISO 8601, epoch, -2h ...).")
@click.option("--to", "end", help="End time.")
@click.option("--kind", type=click.Choice(["continuous", "alarm"]))
@json_option
@click.pass_context
def list_cmd(
    ctx: click.Context,
    camera: str | None,
    start: str | None,
    end: str | None,
    kind: str | None,
    as_json: bool,
) -> None:
    """Indexed segments, oldest first."""
    config = recorder_config(ctx)
    now = time.time()
    index = open_index(config)
    segments = index.segments(
        camera=camera,
        kind=kind,
        start=parse_time(start, now) if start else None,
        end=parse_time(end, now) if end else None,
    )
    index.close()
    emit(
        segments,
        as_json,
        lambda rows: table(
            [
                (
                    s.camera,
                    s.stream,
                    s.kind,
                    iso(s.start),
                    f"{s.duration:.1f}",
                    s.bytes,
                    "" if s.complete else "writing",
                    s.path,
                )
                for s in rows
            ],
            ["camera", "stream", "kind", "start", "seconds", "bytes", "state", "path"],
        ),
    )


@record.command()
@json_option
@click.pass_context
def reindex(ctx: click.Context, as_json: bool) -> None:
    """Rebuild the index from the segment files alone (after a reinstall or a crash)."""
    from recorder.reindex import reindex as do_reindex

    config = recorder_config(ctx)
    index = open_index(config)
    report = do_reindex(index, config)
    index.close()
    emit(
        report,
        as_json,
        lambda r: (
            f"scanned {r.scanned} segments: {r.added} added, {r.updated} refreshed, "
            f"{r.removed} rows of missing files removed, {len(r.unreadable)} unreadable"
        ),
    )


@record.command()
@json_option
@click.pass_context
def purge(ctx: click.Context, as_json: bool) -> None:
    """Apply retention and the fill threshold now (the daemon also does it periodically)."""
    from recorder.retention import purge_volume

    config = recorder_config(ctx)
    index = open_index(config)
    retention = {c.name: c.retention_days for c in config.cameras.values()}
    reports = {}
    for volume in config.volumes.values():
        if volume.path.is_dir():
            reports[volume.name] = purge_volume(
                index,
                volume.name,
                volume.path,
                retention,
                time.time(),
                volume.fill_threshold_percent,
                volume.purge_target_percent,
            )
    index.close()
    emit(
        reports,
        as_json,
        lambda r: "\n".join(
            f"{name}: {rep.expired} expired, {rep.filled} purged for space, {rep.bytes} bytes freed"
            for name, rep in r.items()
        )
        or "no volume",
    )


@record.command()
@click.option("--camera", help="Only this camera.")
@click.option("--before", help="Only segments that ended before this time.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@click.pass_context
def delete(ctx: click.Context, camera: str | None, before: str | None, yes: bool, as_json: bool) -> None:
    """Delete recordings of a camera and/or before a date. Protected ranges are kept."""
    from recorder.retention import delete_segments, is_protected

    if camera is None and before is None:
        raise CtsysError("name a --camera, a --before time, or both")
    config = recorder_config(ctx)
    index = open_index(config)
    limit = parse_time(before, time.time()) if before else None
    protected = index.protected()
    chosen, kept = [], 0
    for seg in index.segments(camera=camera):
        if limit is not None and seg.end > limit:
            continue
        if not seg.complete:
            continue  # being written: the daemon owns it
        if is_protected(seg, protected):
            kept += 1
            continue
        chosen.append(seg)
    if chosen and not yes and not as_json:
        click.confirm(f"delete {len(chosen)} segments ({sum(s.bytes for s in chosen)} bytes)?", abort=True)
    count, size = delete_segments(index, chosen)
    index.close()
    emit(
        {"deleted": count, "bytes": size, "protected_kept": kept},
        as_json,
        lambda r: f"deleted {r['deleted']} segments ({r['bytes']} bytes); {r['protected_kept']} protected kept",
    )


@record.group()
def protect() -> None:
    """Protected ranges: never purged nor deleted."""


@protect.command("add")
@click.argument("camera")
@click.argument("start")
@click.argument("end")
@click.option("--note", default="")
@json_option
@click.pass_context
def protect_add(ctx: click.Context, camera: str, start: str, end: str, note: str, as_json: bool) -> None:
    """Protect CAMERA's recordings from START to END."""
    config = recorder_config(ctx)
    now = time.time()
    begin, finish = parse_time(start, now), parse_time(end, now)
    if finish <= begin:
        raise CtsysError("END must be after START")
    index = open_index(config)
    range_id = index.protect(camera, begin, finish, note)
    index.close()
    emit(
        {"id": range_id, "camera": camera, "start": begin, "end": finish},
        as_json,
        lambda r: f"protected range {r['id']}: {camera} {iso(begin)} .. {iso(finish)}",
    )


@protect.command("list")
@json_option
@click.pass_context
def protect_list(ctx: click.Context, as_json: bool) -> None:
    index = open_index(recorder_config(ctx))
    ranges = index.protected()
    index.close()
    emit(
        ranges,
        as_json,
        lambda rows: table(
            [(r.id, r.camera, iso(r.start), iso(r.end), r.note) for r in rows],
            ["id", "camera", "start", "end", "note"],
        ),
    )


@protect.command("remove")
@click.argument("range_id", type=int)
@click.pass_context
def protect_remove(ctx: click.Context, range_id: int) -> None:
    index = open_index(recorder_config(ctx))
    found = index.unprotect(range_id)
    index.close()
    if not found:
        raise CtsysError(f"no protected range {range_id}", hint="ctsys record protect list")
    click.echo(f"range {range_id} is no longer protected")


@record.command()
@click.argument("camera")
@click.argument("start")
@click.argument("end")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The .mkv to write (on a mounted USB volume, for example).",
)
@click.option("--zip", "zip_output", is_flag=True, help="Put the result into a .zip.")
@click.option("--split-duration", help="Parts of at most this long (10m, 1h).")
@click.option("--split-size", help="Parts of at most this size (700M, 4G).")
@click.option("--kind", type=click.Choice(["continuous", "alarm"]))
@click.option("--stream")
@json_option
@click.pass_context
def export(
    ctx: click.Context,
    camera: str,
    start: str,
    end: str,
    output: Path,
    zip_output: bool,
    split_duration: str | None,
    split_size: str | None,
    kind: str | None,
    stream: str | None,
    as_json: bool,
) -> None:
    """Export CAMERA from START to END to one Matroska file (no transcoding)."""
    from recorder.export import ExportError
    from recorder.export import export as do_export

    config = recorder_config(ctx)
    now = time.time()
    index = open_index(config)

    def progress(fraction: float) -> None:
        if not as_json:
            click.echo(f"\rexporting {fraction * 100:5.1f}%", nl=False, err=True)

    started = time.monotonic()
    try:
        result = do_export(
            index,
            camera,
            parse_time(start, now),
            parse_time(end, now),
            output,
            kind=kind,
            stream=stream,
            zip_output=zip_output,
            split_seconds=parse_duration(split_duration) if split_duration else None,
            split_bytes=parse_size(split_size) if split_size else None,
            progress=progress,
        )
    except ExportError as exc:
        raise CtsysError(str(exc)) from None
    finally:
        index.close()
    if not as_json:
        click.echo("", err=True)
    data = {
        "files": [str(f) for f in result.files],
        "start": result.start,
        "end": result.end,
        "duration": round(result.duration, 3),
        "bytes": result.bytes,
        "segments": result.segments,
        "seconds": round(time.monotonic() - started, 2),
    }
    if as_json:
        print_json(data)
    else:
        click.echo(
            f"exported {data['duration']} s from {iso(result.start)} "
            f"({result.segments} segments, {result.bytes} bytes) in {data['seconds']} s:"
        )
        for f in result.files:
            click.echo(f"  {f}")
    sys.stdout.flush()


@record.command()
@click.option("--camera")
@click.option("--limit", type=int, default=50, show_default=True)
@json_option
@click.pass_context
def journal(ctx: click.Context, camera: str | None, limit: int, as_json: bool) -> None:
    """Disconnections: when each camera stream was lost, for how long, and why."""
    index = open_index(recorder_config(ctx))
    rows = index.outages(camera, limit)
    index.close()
    emit(
        rows,
        as_json,
        lambda items: table(
            [
                (
                    o.camera,
                    o.stream,
                    iso(o.start),
                    iso(o.end) or "ongoing",
                    f"{(o.end or time.time()) - o.start:.0f}",
                    o.reason,
                )
                for o in items
            ],
            ["camera", "stream", "start", "end", "seconds", "reason"],
        ),
    )
