"""A recording sink: turns a run of samples into consecutive indexed segments.

One sink per (camera, kind). It opens a segment on a video keyframe, cuts on
keyframes at the target duration, syncs and updates the index on a schedule,
and survives write errors (ENOSPC, a vanished volume) by closing what it has
and retrying later instead of raising.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import av

from recorder.index import Index
from recorder.layout import segment_path
from recorder.segment import Sample, SegmentWriter, should_cut
from recorder.volumes import VolumeState

log = logging.getLogger(__name__)

RETRY_AFTER_ERROR_SECONDS = 2.0
MAX_SEGMENT_FACTOR = 4  # a stream without keyframes is cut anyway at 4x the target


class RecordingSink:
    def __init__(
        self,
        *,
        camera: str,
        stream: str,
        kind: str,
        volume: VolumeState,
        index: Index,
        segment_seconds: float,
        fsync_seconds: float,
        on_disk_full: Callable[[VolumeState], None] | None = None,
    ) -> None:
        self.camera, self.stream, self.kind = camera, stream, kind
        self.volume = volume
        self.index = index
        self.segment_seconds = segment_seconds
        self.fsync_seconds = fsync_seconds
        self.on_disk_full = on_disk_full
        self.templates: dict[int, Any] = {}
        self.writer: SegmentWriter | None = None
        self.segment_id = 0
        self.last_sync = 0.0
        self.retry_at = 0.0
        self.segments_written = 0
        self.bytes_written = 0
        self.errors = 0
        self.last_error = ""

    @property
    def recording(self) -> bool:
        return self.writer is not None

    def set_templates(self, templates: dict[int, Any]) -> None:
        """A new connection: its streams (codec parameters) start a new segment."""
        self.stop()
        self.templates = templates

    def feed(self, sample: Sample) -> None:
        try:
            self._feed(sample)
        except (OSError, av.FFmpegError) as exc:
            self._failed(exc)

    def _feed(self, sample: Sample) -> None:
        writer = self.writer
        if writer is not None and not self.volume.healthy:
            self.stop()
            return
        if writer is not None:
            elapsed = writer.elapsed(sample)
            if (
                should_cut(elapsed, self.segment_seconds, sample.is_video and sample.keyframe)
                or elapsed >= MAX_SEGMENT_FACTOR * self.segment_seconds
            ):
                self.stop()
                writer = None
        if writer is None:
            if not (sample.is_video and sample.keyframe) or sample.wall < self.retry_at:
                return
            if not self.volume.healthy or not self.templates:
                return
            writer = self._open(sample)
        writer.write(sample)
        if sample.wall - self.last_sync >= self.fsync_seconds:
            self._sync(sample.wall)

    def _open(self, sample: Sample) -> SegmentWriter:
        start = sample.wall
        root = self.volume.config.path
        path = segment_path(root, self.camera, self.stream, self.kind, start)
        # An unpaced source can start two segments in one millisecond: never overwrite.
        for _ in range(1000):
            if not path.exists():
                break
            start += 0.001
            path = segment_path(root, self.camera, self.stream, self.kind, start)
        tags = {
            "CT_CAMERA": self.camera,
            "CT_STREAM": self.stream,
            "CT_KIND": self.kind,
            "CT_START": f"{start:.3f}",
        }
        writer = SegmentWriter(path, self.templates, start, tags=tags)
        self.writer = writer
        self.segment_id = (
            self._indexed(
                self.index.upsert_segment,
                camera=self.camera,
                stream=self.stream,
                kind=self.kind,
                volume=self.volume.name,
                path=str(path),
                start=start,
                end=start,
                size=0,
                keyframes=[],
                complete=False,
            )
            or 0
        )
        self.last_sync = sample.wall
        return writer

    def _sync(self, now: float) -> None:
        writer = self.writer
        assert writer is not None
        size = writer.sync()
        self._indexed(self.index.update_progress, self.segment_id, writer.end_wall, size, writer.keyframes)
        self.last_sync = now

    def stop(self) -> None:
        """Close the current segment (if any) and mark it complete in the index."""
        writer, self.writer = self.writer, None
        if writer is None:
            return
        try:
            size = writer.close()
        except (OSError, av.FFmpegError) as exc:
            writer.abort()
            self._note_error(exc)
            size = _size(writer)
        self._finish(writer, size)

    def _finish(self, writer: SegmentWriter, size: int) -> None:
        if writer.packets == 0 or size == 0:
            # Nothing usable was written (the disk filled at once): leave no empty file.
            _unlink(writer)
            self._indexed(self.index.delete_segment, self.segment_id)
            return
        self._indexed(
            self.index.update_progress, self.segment_id, writer.end_wall, size, writer.keyframes, complete=True
        )
        self.segments_written += 1
        self.bytes_written += size

    def _indexed(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """An index update that cannot stop recording: the files are the truth, and
        `reindex` (or the recovery at the next start) rebuilds what is missed here."""
        try:
            return call(*args, **kwargs)
        except sqlite3.Error as exc:
            self._note_error(exc)
            return None

    def _failed(self, exc: BaseException) -> None:
        self._note_error(exc)
        writer, self.writer = self.writer, None
        self.retry_at = time.time() + RETRY_AFTER_ERROR_SECONDS
        if writer is not None:
            writer.abort()
            self._finish(writer, _size(writer))
        if _is_disk_full(exc) and self.on_disk_full is not None:
            self.on_disk_full(self.volume)

    def _note_error(self, exc: BaseException) -> None:
        self.errors += 1
        self.last_error = f"{type(exc).__name__}: {exc}"
        log.error("camera %s %s recording: %s", self.camera, self.kind, self.last_error)


def _is_disk_full(exc: BaseException) -> bool:
    return getattr(exc, "errno", None) == errno.ENOSPC or "No space left" in str(exc)


def _size(writer: SegmentWriter) -> int:
    try:
        return os.path.getsize(writer.path)
    except OSError:
        return 0


def _unlink(writer: SegmentWriter) -> None:
    with contextlib.suppress(OSError):
        writer.path.unlink()
