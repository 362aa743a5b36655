"""Per-stream statistics: fps, bitrate, GOP length, losses, last frame time."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


@dataclass
class StreamStats:
    camera: str
    stream: str
    url: str
    state: str = "starting"
    connected_since: float | None = None
    last_frame: float | None = None
    reconnects: int = 0
    last_error: str = ""
    video_codec: str = ""
    audio_codec: str = ""
    width: int = 0
    height: int = 0
    packets: int = 0
    bytes: int = 0
    corrupt_packets: int = 0
    skipped_packets: int = 0
    timestamp_discontinuities: int = 0
    gop_frames: int = 0
    frames: int = 0
    _frames_since_key: int = 0
    # Rates come from the counters between two snapshots: nothing per packet but sums.
    _mark: tuple[float, int, int] = (0.0, 0, 0)
    _rates: tuple[float, float] = (0.0, 0.0)

    MIN_RATE_INTERVAL = 1.0

    def on_packet(self, size: int, is_video: bool, keyframe: bool, corrupt: bool) -> None:
        self.packets += 1
        self.bytes += size
        if corrupt:
            self.corrupt_packets += 1
        if is_video:
            self.frames += 1
            if keyframe:
                if self._frames_since_key:
                    self.gop_frames = self._frames_since_key
                self._frames_since_key = 0
            self._frames_since_key += 1

    def rates(self, now: float | None = None) -> tuple[float, float]:
        """(video frames per second, kbit/s) since the previous measure (at least 1 s ago)."""
        now = time.time() if now is None else now
        when, frames, size = self._mark
        if now - when >= self.MIN_RATE_INTERVAL:
            if when:
                span = now - when
                self._rates = ((self.frames - frames) / span, (self.bytes - size) * 8 / 1000 / span)
            self._mark = (now, self.frames, self.bytes)
        return self._rates

    def snapshot(self, now: float | None = None) -> dict[str, Any]:
        fps, kbps = self.rates(now)
        return {
            "camera": self.camera,
            "stream": self.stream,
            "url": self.url,
            "state": self.state,
            "connected_since": self.connected_since,
            "last_frame": self.last_frame,
            "fps": round(fps, 2),
            "bitrate_kbps": round(kbps, 1),
            "gop_frames": self.gop_frames,
            "reconnects": self.reconnects,
            "last_error": self.last_error,
            "video_codec": self.video_codec,
            "audio_codec": self.audio_codec,
            "width": self.width,
            "height": self.height,
            "packets": self.packets,
            "bytes": self.bytes,
            "lost_packets": self.corrupt_packets + self.skipped_packets,
            "corrupt_packets": self.corrupt_packets,
            "skipped_packets": self.skipped_packets,
            "timestamp_discontinuities": self.timestamp_discontinuities,
        }
