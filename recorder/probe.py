"""Read a segment back: media duration, keyframe offsets, codecs (for reindex and recovery)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import av


@dataclass(frozen=True)
class ProbeResult:
    duration: float  # seconds of video from the first to the end of the last frame
    keyframes: list[float]  # offsets of video keyframes, seconds from the start
    size: int
    video_codec: str
    audio_codec: str
    start_tag: float | None  # CT_START written into the file, if present


def probe_segment(path: Path) -> ProbeResult | None:
    """Demux the whole file (no decoding); None if it holds no readable video.

    A killed segment has no cues and no duration header: reading the packets is
    the only reliable measure, and it is fast (no decoding).
    """
    try:
        container = av.open(str(path), options={"probesize": "32", "analyzeduration": "0"})
    except (av.FFmpegError, OSError):
        return None
    try:
        video = next((s for s in container.streams if s.type == "video"), None)
        if video is None:
            return None
        audio = next((s for s in container.streams if s.type == "audio"), None)
        tb = video.time_base
        if tb is None:
            return None
        first: int | None = None
        end = 0
        keyframes: list[float] = []
        try:
            for packet in container.demux(video):
                if packet.pts is None:
                    continue
                if first is None:
                    first = packet.pts
                if packet.is_keyframe:
                    keyframes.append(round(float((packet.pts - first) * tb), 3))
                end = max(end, packet.pts + (packet.duration or 0))
        except (av.FFmpegError, OSError):
            pass  # a truncated tail: keep what was read
        if first is None:
            return None
        tag = container.metadata.get("CT_START") or container.metadata.get("ct_start")
        try:
            start_tag = float(tag) if tag else None
        except ValueError:
            start_tag = None
        return ProbeResult(
            float((end - first) * tb),
            keyframes,
            os.path.getsize(path),
            video.codec_context.name,
            audio.codec_context.name if audio else "",
            start_tag,
        )
    finally:
        container.close()
