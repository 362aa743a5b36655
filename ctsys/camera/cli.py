"""`ctsys camera`: the configured cameras and their live statistics."""

from __future__ import annotations

import time
from typing import Any

import click

from ctsys.commands import apply_option, run_change
from ctsys.errors import CtsysError
from ctsys.output import emit, json_option, table
from ctsys.record.daemon import read_stats, recorder_config


@click.group()
def camera() -> None:
    """Cameras: list, add, remove, enable, disable, statistics.

    Changes go to the `cameras` section of the document; applying it reloads the
    recorder, which restarts only the cameras whose settings changed.
    """


@camera.command()
@click.argument("name")
@click.option("--url", required=True, help="Main stream: rtsp://host/path or http://host/mjpeg.")
@click.option("--sub-url", help="Optional second stream (recorded continuously when given).")
@click.option(
    "--transport",
    type=click.Choice(["tcp", "udp", "udp_multicast", "http"]),
    default="tcp",
    show_default=True,
    help="RTSP transport.",
)
@click.option("--username")
@click.option("--password")
@click.option("--volume", required=True, help="Data volume (cameras.volumes[].name).")
@click.option("--retention-days", type=float, default=30.0, show_default=True)
@click.option("--alarm/--no-alarm", default=False, help="Alarm recording from the main stream.")
@click.option("--pre-alarm-mb", type=float, default=8.0, show_default=True)
@click.option("--post-alarm-seconds", type=float, default=30.0, show_default=True)
@apply_option()
@click.pass_obj
def add(
    obj: Any,
    name: str,
    url: str,
    sub_url: str | None,
    transport: str,
    username: str | None,
    password: str | None,
    volume: str,
    retention_days: float,
    alarm: bool,
    pre_alarm_mb: float,
    post_alarm_seconds: float,
    apply_now: bool,
) -> None:
    """Add camera NAME recording its main stream (or its sub stream, with --sub-url)."""
    from ctsys.camera.document import add_camera

    main: dict[str, Any] = {"url": url, "transport": transport}
    if username:
        main.update(username=username, password=password)
    streams: dict[str, Any] = {"main": main}
    if sub_url:
        streams["sub"] = {**main, "url": sub_url}
    entry: dict[str, Any] = {
        "name": name,
        "volume": volume,
        "retention_days": retention_days,
        "streams": streams,
        "continuous": {"stream": "sub" if sub_url else "main"},
    }
    if alarm:
        entry["alarm"] = {"stream": "main", "pre_alarm_mb": pre_alarm_mb, "post_alarm_seconds": post_alarm_seconds}
    run_change(obj, "camera.add", lambda doc: add_camera(doc, entry), apply_now)


@camera.command()
@click.argument("name")
@apply_option()
@click.pass_obj
def remove(obj: Any, name: str, apply_now: bool) -> None:
    """Stop recording camera NAME and forget its settings (its recordings stay)."""
    from ctsys.camera.document import remove_camera

    run_change(obj, "camera.remove", lambda doc: remove_camera(doc, name), apply_now)


def _toggle_command(verb: str, enabled: bool) -> click.Command:
    @click.command(verb, help=f"{verb.capitalize()} recording of camera NAME.")
    @click.argument("name")
    @apply_option()
    @click.pass_obj
    def command(obj: Any, name: str, apply_now: bool) -> None:
        from ctsys.camera.document import set_enabled

        run_change(obj, f"camera.{verb}", lambda doc: set_enabled(doc, name, enabled), apply_now)

    return command


camera.add_command(_toggle_command("enable", True))
camera.add_command(_toggle_command("disable", False))


@camera.command("list")
@json_option
@click.pass_context
def list_cmd(ctx: click.Context, as_json: bool) -> None:
    """Configured cameras: volume, streams, what is recorded."""
    config = recorder_config(ctx)
    rows = []
    for cam in config.cameras.values():
        rows.append(
            {
                "name": cam.name,
                "enabled": cam.enabled,
                "volume": cam.volume,
                "retention_days": cam.retention_days,
                "streams": {n: s.safe_url() for n, s in cam.streams.items()},
                "continuous": cam.continuous.stream if cam.continuous and cam.continuous.enabled else None,
                "alarm": cam.alarm.stream if cam.alarm and cam.alarm.enabled else None,
            }
        )
    emit(
        rows,
        as_json,
        lambda items: table(
            [
                (
                    r["name"],
                    "yes" if r["enabled"] else "no",
                    r["volume"],
                    r["retention_days"],
                    r["continuous"] or "-",
                    r["alarm"] or "-",
                    " ".join(r["streams"].values()),
                )
                for r in items
            ],
            ["name", "enabled", "volume", "days", "continuous", "alarm", "streams"],
        ),
    )


def _human(stats: dict[str, Any]) -> str:
    now = stats.get("time") or time.time()
    rows = []
    for name, cam in sorted(stats.get("cameras", {}).items()):
        for stream, s in cam.get("streams", {}).items():
            age = f"{now - s['last_frame']:.1f}s" if s.get("last_frame") else "-"
            rows.append(
                (
                    name,
                    stream,
                    s["state"],
                    s["video_codec"],
                    f"{s['fps']:.1f}",
                    f"{s['bitrate_kbps']:.0f}",
                    s["gop_frames"],
                    s["lost_packets"],
                    s["reconnects"],
                    age,
                )
            )
    text = table(
        rows,
        [
            "camera",
            "stream",
            "state",
            "codec",
            "fps",
            "kbit/s",
            "gop",
            "lost",
            "reconnects",
            "last frame",
        ],
    )
    if stats.get("stale"):
        text += "\n(the recorder is not running: these are its last statistics)"
    return text


@camera.command()
@click.argument("name", required=False)
@json_option
@click.pass_context
def stats(ctx: click.Context, name: str | None, as_json: bool) -> None:
    """Per-camera statistics: fps, bitrate, GOP, lost packets, last frame time."""
    config = recorder_config(ctx)
    data = read_stats(config)
    if name is not None:
        cams = data.get("cameras", {})
        if name not in cams:
            raise CtsysError(f"the recorder has no camera {name!r}", hint="ctsys camera list")
        data = {**data, "cameras": {name: cams[name]}}
    emit(data, as_json, _human)


def _register_discovery() -> None:
    """`ctsys camera discover` lives in its own package (ctsys/discovery)."""
    from ctsys.discovery.cli import discover

    camera.add_command(discover)


_register_discovery()
