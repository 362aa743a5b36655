"""Export a camera's time range to one Matroska file (remux only), optionally split or zipped.

The export starts on the keyframe at or before the requested start (a file must
begin with a keyframe to play) and stops before the requested end. Gaps between
segments stay gaps in the timeline, so the player's clock matches wall time.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av

from recorder.index import Index, Segment
from recorder.segment import CUT_TOLERANCE_SECONDS

Progress = Callable[[float], None]
# Our segments describe their streams in the Matroska header: probing the packets
# (FFmpeg's default) cost 60 ms per file, more than remuxing a minute of video.
HEADER_ONLY = {"probesize": "32", "analyzeduration": "0"}


class ExportError(Exception):
    pass


@dataclass
class ExportResult:
    files: list[Path] = field(default_factory=list)
    start: float = 0.0  # wall time of the first exported keyframe
    end: float = 0.0
    bytes: int = 0
    segments: int = 0

    @property
    def duration(self) -> float:
        return self.end - self.start


def choose_segments(
    index: Index,
    camera: str,
    start: float,
    end: float,
    kind: str | None = None,
    stream: str | None = None,
) -> list[Segment]:
    """The segments to export: one stream and kind (by default whichever covers most)."""
    segments = index.segments(camera=camera, start=start, end=end, kind=kind, stream=stream)
    if not segments:
        return []
    coverage: dict[tuple[str, str], float] = {}
    for seg in segments:
        key = (seg.stream, seg.kind)
        coverage[key] = coverage.get(key, 0.0) + min(seg.end, end) - max(seg.start, start)
    best = max(coverage, key=lambda k: (coverage[k], k[1] == "continuous"))
    chosen = [s for s in segments if (s.stream, s.kind) == best]
    # Alarm segments may overlap (pre-alarm of one alarm inside the previous one): drop overlaps.
    out: list[Segment] = []
    for seg in chosen:
        if out and seg.start < out[-1].end - 0.5:
            continue
        out.append(seg)
    return out


class _Part:
    def __init__(self, path: Path, templates: list[Any], camera: str, base: float) -> None:
        self.path = path
        self.container: Any = av.open(str(path), "w", format="matroska")
        self.container.metadata["CT_CAMERA"] = camera
        self.container.metadata["CT_START"] = f"{base:.3f}"
        self.streams = [self.container.add_stream_from_template(t) for t in templates]
        self.base = base  # wall time of the part's first packet
        self.bytes = 0
        self.last_dts: dict[int, int] = {}

    def close(self) -> None:
        self.container.close()


def _part_path(output: Path, number: int, split: bool) -> Path:
    if not split:
        return output
    return output.with_name(f"{output.stem}-{number:03d}{output.suffix}")


def export(
    index: Index,
    camera: str,
    start: float,
    end: float,
    output: Path,
    *,
    kind: str | None = None,
    stream: str | None = None,
    split_seconds: float | None = None,
    split_bytes: int | None = None,
    zip_output: bool = False,
    progress: Progress | None = None,
) -> ExportResult:
    if end <= start:
        raise ExportError("the end of the range must be after its start")
    segments = choose_segments(index, camera, start, end, kind, stream)
    if not segments:
        raise ExportError(f"no recording of camera {camera} between the given times")
    output.parent.mkdir(parents=True, exist_ok=True)
    split = bool(split_seconds or split_bytes)
    total = sum(s.bytes for s in segments) or 1
    done = 0
    result = ExportResult(segments=len(segments))
    part: _Part | None = None
    layout: tuple[str, ...] | None = None
    gop_bytes = 0
    gop_estimate = 0
    last_reported = -1.0
    try:
        for seg in segments:
            # Begin on the last keyframe at or before the start of the range.
            offset = max(0.0, start - seg.start)
            begin = max((k for k in seg.keyframes if k <= offset + 1e-3), default=0.0)
            stop_at = end - seg.start
            container = av.open(seg.path, options=HEADER_ONLY)
            try:
                video = next(s for s in container.streams if s.type == "video")
                inputs = [s for s in container.streams if s.type in ("video", "audio")]
                this_layout = tuple(f"{s.type}:{s.codec_context.name}" for s in inputs)
                position = {s.index: i for i, s in enumerate(inputs)}
                started = False
                # Float time bases per stream: Fraction arithmetic per packet cost more
                # than the remux itself.
                float_tb = {s.index: float(s.time_base or 0) for s in inputs}
                video_index = video.index
                for packet in container.demux(inputs):
                    packet_dts = packet.dts
                    if packet_dts is None:
                        # Header-only probing leaves the first packet without dts; its pts
                        # is there (no B-frames from cameras: dts == pts).
                        packet_dts = packet.pts
                    if packet_dts is None or packet.size == 0:
                        continue
                    sidx = packet.stream_index
                    tb = float_tb[sidx]
                    # Segments are written rebased: their first video keyframe is at 0.
                    t = packet_dts * tb
                    is_video = sidx == video_index
                    keyframe = is_video and packet.is_keyframe
                    if t >= stop_at:
                        if is_video:
                            break
                        continue
                    if not started:
                        if not (keyframe and t >= begin - 1e-3):
                            continue
                        started = True
                    wall = seg.start + t
                    new_part = part is None or this_layout != layout
                    if not new_part and keyframe and part is not None:
                        too_long = (
                            split_seconds is not None and wall - part.base >= split_seconds - CUT_TOLERANCE_SECONDS
                        )
                        too_big = split_bytes is not None and part.bytes + max(gop_estimate, gop_bytes) > split_bytes
                        new_part = too_long or too_big
                    if keyframe:
                        gop_estimate = max(gop_estimate, gop_bytes)
                        gop_bytes = 0
                    if new_part:
                        if part is not None:
                            part.close()
                        part = _Part(
                            _part_path(output, len(result.files) + 1, split),
                            [s for s in inputs],
                            camera,
                            wall,
                        )
                        result.files.append(part.path)
                        layout = this_layout
                        if not result.start:
                            result.start = wall
                    assert part is not None
                    dts = round((wall - part.base) / tb)
                    out_index = position[sidx]
                    last = part.last_dts.get(out_index)
                    if last is not None and dts <= last:
                        dts = last + 1
                    part.last_dts[out_index] = dts
                    packet_pts = packet.pts
                    pts_offset = (packet_pts - packet_dts) if packet_pts is not None else 0
                    size = packet.size
                    packet.stream = part.streams[out_index]
                    packet.dts = dts
                    packet.pts = dts + max(0, pts_offset)
                    part.container.mux(packet)
                    part.bytes += size
                    gop_bytes += size
                    result.bytes += size
                    if is_video:
                        result.end = max(result.end, wall + (packet.duration or 0) * tb)
            finally:
                container.close()
            done += seg.bytes
            if progress is not None and done / total - last_reported >= 0.01:
                last_reported = done / total
                progress(min(1.0, last_reported))
    finally:
        if part is not None:
            part.close()
    if not result.files:
        raise ExportError(f"camera {camera}: no keyframe in the given range")
    if zip_output:
        archive = output.with_suffix(".zip")
        # Video does not compress: store, which keeps the zip as fast as a copy.
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            for path in result.files:
                zf.write(path, arcname=path.name)
        for path in result.files:
            os.unlink(path)
        result.files = [archive]
    if progress is not None:
        progress(1.0)
    return result
