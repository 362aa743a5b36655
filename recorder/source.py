"""One camera stream: connect, read packets, feed the recording sinks, reconnect.

Each configured stream that is recorded gets one thread; PyAV releases the GIL
while it reads and writes, and a fault in one stream (garbage, a stall, a codec
change) ends only that thread's connection, which is retried with a capped
backoff and logged in the disconnection journal.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import av

from recorder.alarm import AlarmState
from recorder.config import CameraConfig, StreamConfig
from recorder.g711 import CODECS as G711_CODECS
from recorder.g711 import PcmExpansion
from recorder.index import Index
from recorder.prealarm import PreAlarmBuffer
from recorder.segment import Sample
from recorder.sink import RecordingSink
from recorder.stats import StreamStats
from recorder.timeline import StreamTimeline

log = logging.getLogger(__name__)

VIDEO_CODECS = {"h264", "hevc", "mpeg4", "mjpeg"}
# Audio that Matroska (as PyAV writes it) carries as is. G.711 is expanded to 16-bit PCM
# (recorder/g711.py); G.726 has no Matroska mapping PyAV accepts and is dropped.
AUDIO_CODECS = {"aac", "opus", "mp2", "mp3", "pcm_s16be", "pcm_s16le"}
STABLE_SECONDS = 10.0  # a connection that lasted this long resets the backoff
SCHEDULE_CHECK_SECONDS = 1.0
REANCHOR_SECONDS = 2.0
# Less probing before the first packet: camera SDPs describe their streams, and every
# probed second is a burst of packets whose arrival time says little about wall time.
PROBE_OPTIONS = {"analyzeduration": "1000000", "probesize": "1000000"}


def input_options(stream: StreamConfig, read_timeout: float) -> tuple[str | None, dict[str, str]]:
    """The demuxer and its options for a configured stream.

    Timeouts are FFmpeg's own socket timeouts (microseconds): PyAV's `timeout=` runs a
    Python interrupt callback inside every I/O wait, which cost ~10 % CPU per stream.
    A read that still hangs is caught by the daemon's heartbeat check (watchdog).
    """
    micros = str(int(read_timeout * 1_000_000))
    if stream.mjpeg:
        # Multipart JPEG push carries no timestamps: stamp packets on arrival.
        return "mpjpeg", {"use_wallclock_as_timestamps": "1", "rw_timeout": micros}
    if urlsplit(stream.url).scheme in ("http", "https"):
        return None, {"rw_timeout": micros, **PROBE_OPTIONS}
    options = {
        "rtsp_transport": stream.transport,
        "allowed_media_types": "video+audio",
        "timeout": micros,
        **PROBE_OPTIONS,
    }
    return None, options


def backoff_delay(failures: int, maximum: float, base: float = 1.0) -> float:
    """Seconds to wait before reconnect attempt `failures` (1, 2, 4, ... capped)."""
    if failures <= 0:
        return 0.0
    return float(min(maximum, base * 2 ** min(failures - 1, 30)))


def select_templates(streams: Any) -> tuple[dict[int, Any], list[str]]:
    """Input streams to record (one video, audio Matroska accepts) and warnings."""
    templates: dict[int, Any] = {}
    warnings: list[str] = []
    video_seen = False
    for s in streams:
        name = s.codec_context.name if s.codec_context is not None else "?"
        if s.type == "video" and not video_seen:
            if name not in VIDEO_CODECS:
                warnings.append(f"video codec {name} is not one the recorder copies")
                continue
            templates[s.index] = s
            video_seen = True
        elif s.type == "audio":
            if name in G711_CODECS:
                ctx = s.codec_context
                templates[s.index] = PcmExpansion(name, ctx.sample_rate or 8000, ctx.channels or 1)
                continue
            if name not in AUDIO_CODECS:
                warnings.append(f"audio codec {name} dropped: Matroska cannot carry it")
                continue
            templates[s.index] = s
    if not video_seen:
        templates = {}
    return templates, warnings


class StreamWorker(threading.Thread):
    def __init__(
        self,
        *,
        camera: CameraConfig,
        stream: StreamConfig,
        index: Index,
        continuous: RecordingSink | None,
        alarm: RecordingSink | None,
        alarm_state: AlarmState | None,
        prealarm: PreAlarmBuffer | None,
        read_timeout: float,
        backoff_max: float,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now().astimezone(),
    ) -> None:
        super().__init__(name=f"rec-{camera.name}-{stream.name}", daemon=True)
        self.camera, self.stream, self.index = camera, stream, index
        self.continuous, self.alarm = continuous, alarm
        self.alarm_state, self.prealarm = alarm_state, prealarm
        self.read_timeout, self.backoff_max = read_timeout, backoff_max
        self.clock = clock
        self.stop_event = threading.Event()
        self.stats = StreamStats(camera.name, stream.name, stream.safe_url())
        self.heartbeat = time.monotonic()
        self.started_at = time.time()
        self.paused_reason = ""  # set by the daemon when the volume is gone
        self._outage_id: int | None = None
        self._continuous_on = False
        self._alarm_on = False
        self._next_schedule_check = 0.0

    # lifecycle ---------------------------------------------------------------

    def stop(self) -> None:
        self.stop_event.set()

    def run(self) -> None:
        failures = 0
        while not self.stop_event.is_set():
            started = time.monotonic()
            try:
                reason = self._session()
            except Exception as exc:  # a bug must cost one reconnect, not the camera
                log.exception("camera %s/%s: internal error", self.camera.name, self.stream.name)
                reason = f"internal error: {type(exc).__name__}: {exc}"
                self._close_sinks()
            if self.stop_event.is_set():
                break
            lasted = time.monotonic() - started
            failures = 1 if lasted >= STABLE_SECONDS else failures + 1
            self.stats.state = "reconnecting"
            self.stats.last_error = reason
            self.stats.reconnects += 1
            self._outage(reason)
            delay = backoff_delay(failures, self.backoff_max)
            log.warning(
                "camera %s/%s: %s; reconnecting in %.0f s",
                self.camera.name,
                self.stream.name,
                reason,
                delay,
            )
            self.stop_event.wait(delay)
        self._close_sinks()
        self._outage_over()
        self.stats.state = "stopped"

    def _outage(self, reason: str) -> None:
        if self._outage_id is None:
            try:
                self._outage_id = self.index.outage_start(self.camera.name, self.stream.name, reason)
            except sqlite3.Error as exc:  # the journal must not stop the stream
                log.error("camera %s/%s: cannot journal the outage: %s", self.camera.name, self.stream.name, exc)

    def _outage_over(self) -> None:
        if self._outage_id is not None:
            try:
                self.index.outage_end(self._outage_id)
            except sqlite3.Error as exc:
                log.error("camera %s/%s: cannot journal the outage end: %s", self.camera.name, self.stream.name, exc)
            self._outage_id = None

    def _close_sinks(self) -> None:
        for sink in (self.continuous, self.alarm):
            if sink is not None:
                sink.stop()
        if self.prealarm is not None:
            self.prealarm.clear()

    # one connection ---------------------------------------------------------------

    def _session(self) -> str:
        """Record one connection until it ends; return why it ended."""
        self.stats.state = "connecting"
        fmt, options = input_options(self.stream, self.read_timeout)
        try:
            container = av.open(self.stream.open_url(), format=fmt, options=options)
        except (av.FFmpegError, OSError, ValueError) as exc:
            return f"connect failed: {self._scrub(exc)}"
        try:
            return self._read(container)
        except (av.FFmpegError, OSError, ValueError, RuntimeError) as exc:
            return f"read failed: {type(exc).__name__}: {self._scrub(exc)}"
        finally:
            self._close_sinks()
            with contextlib.suppress(av.FFmpegError, OSError):
                container.close()

    def _scrub(self, exc: BaseException) -> str:
        """The error text without the credentials FFmpeg repeats in its messages."""
        return str(exc).replace(self.stream.open_url(), self.stream.safe_url())

    def _read(self, container: Any) -> str:
        templates, warnings = select_templates(container.streams)
        for warning in warnings:
            log.warning("camera %s/%s: %s", self.camera.name, self.stream.name, warning)
        if not templates:
            return "no recordable video stream"
        timelines: dict[int, StreamTimeline] = {}
        time_bases: dict[int, float] = {}
        kinds: dict[int, bool] = {}
        expansions = {i: t for i, t in templates.items() if isinstance(t, PcmExpansion)}
        for i in templates:
            s = container.streams[i]
            frame = 0.04
            if s.type == "video":
                rate = s.average_rate or s.guessed_rate
                frame = 1 / float(rate) if rate else frame
            elif s.codec_context.sample_rate:
                frame = (s.codec_context.frame_size or 1024) / s.codec_context.sample_rate
            timelines[i] = StreamTimeline(s.time_base, default_duration_seconds=frame)
            time_bases[i] = float(s.time_base)
            kinds[i] = s.type == "video"
            if s.type == "video":
                self.stats.video_codec = s.codec_context.name
                self.stats.width, self.stats.height = s.codec_context.width, s.codec_context.height
            else:
                self.stats.audio_codec = s.codec_context.name
        for sink in (self.continuous, self.alarm):
            if sink is not None:
                sink.set_templates(templates)
        self.stats.state = "connected"
        self.stats.connected_since = time.time()
        selected = [container.streams[i] for i in templates]
        # Wall time of media time 0. Arrival times only ever run late (network, the
        # demuxer's probing burst), so the smallest (arrival - media) seen is the best
        # estimate; a stall where media time stops re-anchors it.
        anchor: float | None = None
        # Each video packet is held until the next one of its stream arrives. When a
        # read fails, FFmpeg flushes its parser first and hands over the access unit in
        # flight, however little of it came (a stall can leave just the parameter sets,
        # "missing picture in access unit"); the held packet is then dropped, not written.
        held: dict[int, Sample] = {}
        for packet in container.demux(selected):
            if self.stop_event.is_set():
                return "stopping"
            self.heartbeat = time.monotonic()
            if packet.size == 0:
                continue  # the demuxer's end-of-stream flush packet
            index = packet.stream_index
            timeline = timelines[index]
            before = timeline.discontinuities
            duration = packet.duration
            stamped = timeline.stamp(packet.pts, packet.dts, duration)
            now = time.time()
            is_video = kinds[index]
            keyframe = packet.is_keyframe
            size = packet.size
            self.stats.on_packet(size, is_video, keyframe, packet.is_corrupt)
            self.stats.timestamp_discontinuities += timeline.discontinuities - before
            if stamped is None:
                self.stats.skipped_packets += 1
                continue
            if is_video:
                self.stats.last_frame = now
            if is_video and keyframe and self._outage_id is not None:
                self._outage_over()
            if index in expansions:
                packet = av.Packet(expansions[index].expand(bytes(packet)))
                size = packet.size
            tb = time_bases[index]
            media = stamped.dts * tb
            if is_video:
                offset = now - media
                if anchor is None or offset < anchor or offset - anchor > REANCHOR_SECONDS:
                    anchor = offset
            wall = now if anchor is None else anchor + media
            sample = Sample(
                index,
                packet,
                stamped.pts,
                stamped.dts,
                timeline.time_base,
                keyframe,
                is_video,
                wall,
                size,
                duration or timeline.last_delta,
                tb,
            )
            if is_video:
                previous = held.get(index)
                held[index] = sample
                if previous is None:
                    continue
                sample = previous
            self._dispatch(sample)
        return "end of stream"

    # routing -----------------------------------------------------------------------

    def _refresh_schedule(self, now: float) -> None:
        if now < self._next_schedule_check:
            return
        self._next_schedule_check = now + SCHEDULE_CHECK_SECONDS
        local = self.clock()
        cont, alarm = self.camera.continuous, self.camera.alarm
        self._continuous_on = (
            cont is not None
            and cont.enabled
            and self.camera.enabled
            and not self.paused_reason
            and cont.schedule.active(local)
        )
        self._alarm_on = (
            alarm is not None
            and alarm.enabled
            and self.camera.enabled
            and not self.paused_reason
            and alarm.schedule.active(local)
        )

    def _dispatch(self, sample: Sample) -> None:
        self._refresh_schedule(sample.wall)
        consumers: list[Callable[[Sample], None]] = []
        if self.continuous is not None:
            if self._continuous_on:
                consumers.append(self.continuous.feed)
            elif self.continuous.recording:
                self.continuous.stop()
        if self.alarm is not None and self.alarm_state is not None:
            if self._alarm_on and self.alarm_state.active(sample.wall):
                if not self.alarm.recording and self.prealarm is not None:
                    for buffered in self.prealarm.drain():
                        self.alarm.feed(buffered)
                consumers.append(self.alarm.feed)
            else:
                if self.alarm.recording:
                    self.alarm.stop()
                if self._alarm_on and self.prealarm is not None:
                    consumers.append(self.prealarm.push)
        if not consumers:
            return
        for consume in consumers[:-1]:
            consume(sample.copy())
        consumers[-1](sample)
