"""One Matroska segment being written: stream copy, rebased timestamps, periodic fsync."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from recorder.g711 import PcmExpansion

log = logging.getLogger(__name__)

# Clusters of at most ~1 s / 2 MB: a kill loses at most the unfinished cluster.
# flush_packets pushes each finished cluster to the kernel; fsync then makes it durable.
MUXER_OPTIONS = {
    "cluster_time_limit": "1000",
    "cluster_size_limit": "2097152",
    "flush_packets": "1",
}
# The end of a segment may overrun its target by a frame or two: RTP rounding puts
# the keyframe that should start the next segment a few ms early.
CUT_TOLERANCE_SECONDS = 0.25


@dataclass
class Sample:
    """A packet with sanitised timestamps (in its stream's time base) and arrival time."""

    index: int
    packet: av.Packet
    pts: int
    dts: int
    time_base: Fraction
    keyframe: bool
    is_video: bool
    wall: float
    size: int = 0
    duration: int = 0  # in time_base; the packet's own, or the stream's typical one
    # time_base as a float: Fraction arithmetic per packet cost more than the muxing.
    tb: float = 0.0

    def __post_init__(self) -> None:
        if not self.tb:
            self.tb = float(self.time_base)

    def copy(self) -> Sample:
        """A copy with its own data: muxing consumes a packet's buffer."""
        clone = av.Packet(bytes(self.packet))
        return Sample(
            self.index,
            clone,
            self.pts,
            self.dts,
            self.time_base,
            self.keyframe,
            self.is_video,
            self.wall,
            self.size,
            self.duration,
            self.tb,
        )

    @property
    def seconds(self) -> float:
        return self.dts * self.tb


def should_cut(elapsed: float, target: float, keyframe: bool) -> bool:
    """Cut before this packet? Only on a keyframe, once the target is (nearly) reached."""
    return keyframe and elapsed >= target - CUT_TOLERANCE_SECONDS


@dataclass
class SegmentWriter:
    """Writes samples of the given input streams into `path` (a new file)."""

    path: Path
    templates: dict[int, Any]  # input stream index -> av input stream (its codec parameters)
    start_wall: float
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._container: Any = av.open(str(self.path), "w", format="matroska", container_options=MUXER_OPTIONS)
        try:
            for key, value in self.tags.items():
                self._container.metadata[key] = value
            self._out: dict[int, Any] = {index: self._add_stream(t) for index, t in self.templates.items()}
        except BaseException:
            self._container.close()
            raise
        # PyAV creates the file on the first mux; fsync goes through our own descriptor.
        self._fd: int | None = None
        self._sync_directory = False
        self._base: dict[int, int] = {}
        self._last_dts: dict[int, int] = {}
        self.base_seconds: float | None = None
        self.media_end = 0.0  # seconds since the segment's first packet
        self.keyframes: list[float] = []
        self.packets = 0
        self.closed = False

    def _add_stream(self, template: Any) -> Any:
        if isinstance(template, PcmExpansion):
            stream = self._container.add_stream("pcm_s16le", rate=template.rate)
            stream.codec_context.layout = "mono" if template.channels == 1 else "stereo"
            return stream
        return self._container.add_stream_from_template(template)

    def write(self, sample: Sample) -> None:
        if self.base_seconds is None:
            # The first sample is the video keyframe the segment starts with.
            self.base_seconds = sample.seconds
        base = self._base.get(sample.index)
        if base is None:
            base = self._base[sample.index] = round(self.base_seconds / sample.tb)
        dts = sample.dts - base
        if dts < 0:
            return  # audio that precedes the first video keyframe
        last = self._last_dts.get(sample.index)
        if last is not None and dts <= last:
            dts = last + 1  # the muxer refuses non-increasing dts
        self._last_dts[sample.index] = dts
        pts = max(sample.pts - base, dts)
        packet = sample.packet
        packet.stream = self._out[sample.index]
        packet.time_base = sample.time_base
        packet.dts = dts
        packet.pts = pts
        position = dts * sample.tb
        if sample.is_video:
            if sample.keyframe:
                self.keyframes.append(round(position, 3))
            duration = sample.duration or packet.duration or 0
            self.media_end = max(self.media_end, (pts + duration) * sample.tb)
        self._container.mux(packet)
        self.packets += 1
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            self._sync_directory = True

    def elapsed(self, sample: Sample) -> float:
        """Media seconds between the segment's start and this sample."""
        if self.base_seconds is None:
            return 0.0
        return sample.seconds - self.base_seconds

    def sync(self) -> int:
        """Make what was written durable; return the file size."""
        if self._fd is None:
            return 0
        os.fsync(self._fd)
        if self._sync_directory:
            # A power cut can lose a new file's directory entry, not just its tail.
            self._sync_directory = False
            directory = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        return os.fstat(self._fd).st_size

    @property
    def end_wall(self) -> float:
        return self.start_wall + self.media_end

    def close(self) -> int:
        """Finish the file (cues, durations); return its size. Safe to call twice."""
        if self.closed:
            return os.path.getsize(self.path) if self.path.exists() else 0
        self.closed = True
        try:
            self._container.close()
        finally:
            size = 0
            if self._fd is None and self.path.exists():
                self._fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            if self._fd is not None:
                try:
                    os.fsync(self._fd)
                    size = os.fstat(self._fd).st_size
                except OSError:
                    pass
                os.close(self._fd)
                self._fd = None
        return size

    def abort(self) -> None:
        """Close after a write error, ignoring further errors (the disk may be full)."""
        try:
            self.close()
        except (OSError, av.FFmpegError) as exc:
            log.debug("closing %s after an error: %s", self.path, exc)
