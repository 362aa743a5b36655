"""Test media made at test time with ffmpeg: small, low resolution, camera-like GOPs."""

from __future__ import annotations

import subprocess
from pathlib import Path

FPS = 10
GOP = 10  # one keyframe a second, like a camera with GOP = fps

_X264 = [
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-bf",
    "0",
    "-g",
    str(GOP),
    "-keyint_min",
    str(GOP),
    "-sc_threshold",
    "0",
    "-b:v",
    "300k",
    "-pix_fmt",
    "yuv420p",
]
_X265 = [
    "-c:v",
    "libx265",
    "-preset",
    "ultrafast",
    "-pix_fmt",
    "yuv420p",
    "-x265-params",
    f"keyint={GOP}:min-keyint={GOP}:bframes=0:scenecut=0:log-level=error",
    "-b:v",
    "300k",
    "-tag:v",
    "hvc1",
]


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=300)


def video_source(seconds: float, size: str = "320x240") -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={FPS}", "-t", str(seconds)]


def make_media(directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    out = {
        "h264_aac": directory / "h264_aac.mp4",
        "h264": directory / "h264.mp4",
        "h264_pcmu": directory / "h264_pcmu.mov",
        "h265": directory / "h265.mp4",
        "short_h264": directory / "short_h264.mp4",
        "short_h265": directory / "short_h265.mp4",
        "back_ts": directory / "back.ts",
        "jpeg": directory / "jpeg",
    }
    ffmpeg(
        *video_source(240),
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=800:sample_rate=16000",
        "-t",
        "240",
        "-map",
        "0:v",
        "-map",
        "1:a",
        *_X264,
        "-c:a",
        "aac",
        "-b:a",
        "32k",
        str(out["h264_aac"]),
    )
    ffmpeg(*video_source(240, "160x120"), *_X264, str(out["h264"]))
    ffmpeg(
        *video_source(120, "160x120"),
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=600:sample_rate=8000",
        "-t",
        "120",
        "-map",
        "0:v",
        "-map",
        "1:a",
        *_X264,
        "-c:a",
        "pcm_mulaw",
        str(out["h264_pcmu"]),
    )
    ffmpeg(*video_source(120), *_X265, str(out["h265"]))
    ffmpeg(*video_source(4), *_X264, str(out["short_h264"]))
    ffmpeg(*video_source(4), *_X265, str(out["short_h265"]))
    # MPEG-TS pieces back to back: timestamps jump backwards twice, and the resolution
    # changes in-band (new SPS) in the middle, as when a camera is reconfigured.
    part = directory / "part.ts"
    ffmpeg(*video_source(5), *_X264, "-f", "mpegts", str(part))
    small = directory / "part-small.ts"
    ffmpeg(*video_source(5, "160x120"), *_X264, "-f", "mpegts", str(small))
    out["back_ts"].write_bytes(part.read_bytes() + small.read_bytes() + part.read_bytes())
    out["jpeg"].mkdir(exist_ok=True)
    ffmpeg(*video_source(2), "-q:v", "8", str(out["jpeg"] / "f%03d.jpg"))
    return out


def make_segments(source: Path, directory: Path, seconds: float, total: float) -> list[Path]:
    """Cut `source` into Matroska pieces of `seconds` (stream copy, timestamps from 0)."""
    directory.mkdir(parents=True, exist_ok=True)
    ffmpeg(
        "-i",
        str(source),
        "-t",
        str(total),
        "-c",
        "copy",
        "-f",
        "segment",
        "-segment_time",
        str(seconds),
        "-reset_timestamps",
        "1",
        str(directory / "piece%03d.mkv"),
    )
    return sorted(directory.glob("piece*.mkv"))
