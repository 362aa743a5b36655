"""`ctsys camera`: the configured cameras and their live statistics."""

from __future__ import annotations

import time
from typing import Any

import click

from ctsys.errors import CtsysError
from ctsys.output import emit, json_option, table
from ctsys.record.daemon import read_stats, recorder_config


@click.group()
def camera() -> None:
    """Cameras: list, statistics."""


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
                "continuous": cam.continuous.stream
                if cam.continuous and cam.continuous.enabled
                else None,
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
