"""Per-stream statistics: fps, bitrate, GOP length, losses, last frame time."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
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
    _frames_since_key: int = 0
    # (arrival time, bytes, is_video) over the last few seconds, for rates.
    _window: deque[tuple[float, int, bool]] = field(default_factory=deque)

    WINDOW_SECONDS = 5.0

    def on_packet(self, now: float, size: int, is_video: bool, keyframe: bool, corrupt: bool) -> None:
        self.packets += 1
        self.bytes += size
        if corrupt:
            self.corrupt_packets += 1
        if is_video:
            self.last_frame = now
            if keyframe:
                if self._frames_since_key:
                    self.gop_frames = self._frames_since_key
                self._frames_since_key = 0
            self._frames_since_key += 1
        self._window.append((now, size, is_video))
        limit = now - self.WINDOW_SECONDS
        while self._window and self._window[0][0] < limit:
            self._window.popleft()

    def rates(self, now: float | None = None) -> tuple[float, float]:
        """(video frames per second, kbit/s) over the recent window."""
        now = time.time() if now is None else now
        recent = [w for w in self._window if w[0] >= now - self.WINDOW_SECONDS]
        if len(recent) < 2:
            return 0.0, 0.0
        span = max(now - recent[0][0], 1e-3)
        frames = sum(1 for w in recent if w[2])
        kbits = sum(w[1] for w in recent) * 8 / 1000
        return frames / span, kbits / span

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
