"""The recorder daemon: one thread per recorded stream, a housekeeper, the HTTP endpoint,
and a main loop that watches volumes, writes statistics and feeds the systemd watchdog."""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from recorder import sdnotify
from recorder.alarm import AlarmState
from recorder.api import ApiServer
from recorder.config import CameraConfig, RecorderConfig, load
from recorder.index import Index
from recorder.prealarm import PreAlarmBuffer
from recorder.reindex import recover
from recorder.retention import purge_volume
from recorder.sink import RecordingSink
from recorder.source import StreamWorker
from recorder.volumes import VolumeState

log = logging.getLogger(__name__)

LOOP_SECONDS = 0.5
STATS_SECONDS = 2.0
VOLUME_CHECK_SECONDS = 2.0
MAX_ALERTS = 50
CAMERA_ALERT_SECONDS = 60.0


@dataclass
class CameraRuntime:
    config: CameraConfig
    workers: list[StreamWorker]
    sinks: dict[str, RecordingSink]  # kind -> sink
    alarm: AlarmState | None
    prealarm: PreAlarmBuffer | None


@dataclass
class Alert:
    time: float
    source: str
    message: str


@dataclass(frozen=True)
class AlertEvent:
    """What the daemon reports to the appliance's alerts (kinds: volume, camera, service)."""

    kind: str
    subject: str
    message: str
    severity: str = "warning"  # critical, warning, info
    state: str = "raised"  # raised, cleared


# Given to the daemon by whoever runs it: on the appliance, ctsys's alert hooks (ctsys/record/service.py).
AlertHook = Callable[[AlertEvent], None]


@dataclass
class Recorder:
    config: RecorderConfig
    config_path: Path | None = None
    alert_hook: AlertHook | None = None
    index: Index = field(init=False)
    volumes: dict[str, VolumeState] = field(init=False, default_factory=dict)
    cameras: dict[str, CameraRuntime] = field(init=False, default_factory=dict)
    alerts: list[Alert] = field(init=False, default_factory=list)
    api: ApiServer | None = field(init=False, default=None)
    stopping: threading.Event = field(init=False, default_factory=threading.Event)
    reload_requested: threading.Event = field(init=False, default_factory=threading.Event)
    purge_requested: threading.Event = field(init=False, default_factory=threading.Event)
    _housekeeper: threading.Thread | None = field(init=False, default=None)
    _cameras_down: set[str] = field(init=False, default_factory=set)

    # start and stop ----------------------------------------------------------------

    def start(self) -> None:
        self.config.state_dir.mkdir(parents=True, exist_ok=True)
        self.index = Index(self.config.index_path)
        # A killed daemon left outages open and segments incomplete: settle both first so
        # the index has neither duplicates nor lost rows when recording resumes.
        self.index.close_open_outages(time.time())
        report = recover(self.index, self.config)
        if report.updated or report.added or report.removed:
            log.warning(
                "recovered after an unclean stop: %d finished, %d indexed, %d removed",
                report.updated,
                report.added,
                report.removed,
            )
        self._make_volumes()
        for camera in self.config.cameras.values():
            if camera.enabled:
                self._start_camera(camera)
        self.api = ApiServer(self.config.http_address, self.config.http_port, self.trigger, self.stats)
        self.api.start()
        self._housekeeper = threading.Thread(target=self._housekeeping, name="housekeeper", daemon=True)
        self._housekeeper.start()
        log.info(
            "recording %d cameras; alarms on http://%s:%d",
            len(self.cameras),
            self.config.http_address,
            self.api.port,
        )

    def _make_volumes(self) -> None:
        for name, vconf in self.config.volumes.items():
            state = self.volumes.get(name)
            if state is None or state.config != vconf:
                state = VolumeState(vconf)
                self.volumes[name] = state
                if state.refresh():
                    self._alert(f"volume {name}", state.reason, kind="volume", subject=name, severity="critical")

    def _start_camera(self, camera: CameraConfig) -> None:
        volume = self.volumes[camera.volume]
        alarm_state = AlarmState(camera.alarm.post_alarm_seconds) if camera.alarm else None
        prealarm = (
            PreAlarmBuffer(int(camera.alarm.pre_alarm_mb * 2**20)) if camera.alarm and camera.alarm.enabled else None
        )
        sinks: dict[str, RecordingSink] = {}
        workers = []
        for stream_name in camera.recorded_streams():

            def sink(kind: str, stream_name: str = stream_name) -> RecordingSink:
                made = RecordingSink(
                    camera=camera.name,
                    stream=stream_name,
                    kind=kind,
                    volume=volume,
                    index=self.index,
                    segment_seconds=self.config.segment_seconds,
                    fsync_seconds=self.config.fsync_seconds,
                    on_disk_full=self._disk_full,
                )
                sinks[kind] = made
                return made

            cont = camera.continuous
            alarm = camera.alarm
            worker = StreamWorker(
                camera=camera,
                stream=camera.streams[stream_name],
                index=self.index,
                continuous=sink("continuous") if cont and cont.stream == stream_name else None,
                alarm=sink("alarm") if alarm and alarm.stream == stream_name else None,
                alarm_state=alarm_state if alarm and alarm.stream == stream_name else None,
                prealarm=prealarm if alarm and alarm.stream == stream_name else None,
                read_timeout=self.config.read_timeout_seconds,
                backoff_max=self.config.backoff_max_seconds,
            )
            if not volume.healthy:
                worker.paused_reason = volume.reason
            workers.append(worker)
            worker.start()
        self.cameras[camera.name] = CameraRuntime(camera, workers, sinks, alarm_state, prealarm)

    def _stop_camera(self, name: str) -> None:
        runtime = self.cameras.pop(name)
        for worker in runtime.workers:
            worker.stop()
        for worker in runtime.workers:
            worker.join(self.config.read_timeout_seconds + 5)
            if worker.is_alive():
                log.error("camera %s: worker %s did not stop", name, worker.name)

    def shutdown(self) -> None:
        self.stopping.set()
        sdnotify.notify("STOPPING=1")
        if self.api is not None:
            self.api.stop()
        workers = [w for rt in self.cameras.values() for w in rt.workers]
        for worker in workers:
            worker.stop()  # all at once: each closes its segment in parallel
        for worker in workers:
            worker.join(self.config.read_timeout_seconds + 5)
            if worker.is_alive():
                log.error("worker %s did not stop", worker.name)
        if self._housekeeper is not None:
            self.purge_requested.set()
            self._housekeeper.join(30)
        self.write_stats()  # the last statistics show every camera stopped
        self.index.close()

    def reload(self) -> None:
        """Re-read the configuration; restart only the cameras whose settings changed."""
        if self.config_path is None:
            return
        try:
            new = load(self.config_path)
        except (OSError, ValueError) as exc:
            self._alert("config", f"reload refused: {exc}")
            return
        old = self.config
        self.config = new
        self._make_volumes()
        for name, runtime in list(self.cameras.items()):
            fresh = new.cameras.get(name)
            # A changed volume is a new VolumeState: its cameras must pick up the new path.
            moved = any(sink.volume is not self.volumes.get(sink.volume.name) for sink in runtime.sinks.values())
            if (
                fresh is None
                or fresh != runtime.config
                or not fresh.enabled
                or moved
                or new.segment_seconds != old.segment_seconds
            ):
                self._stop_camera(name)
        for camera in new.cameras.values():
            if camera.enabled and camera.name not in self.cameras:
                self._start_camera(camera)
        log.info("configuration reloaded: %d cameras", len(self.cameras))

    # inputs ------------------------------------------------------------------------

    def trigger(self, camera: str, seconds: float | None = None) -> float | None:
        runtime = self.cameras.get(camera)
        if runtime is None or runtime.alarm is None:
            return None
        until = runtime.alarm.trigger(seconds=seconds)
        log.info("alarm on camera %s until %.0f", camera, until)
        return until

    def _disk_full(self, volume: VolumeState) -> None:
        volume.disk_full.set()
        self.purge_requested.set()

    def _alert(
        self,
        source: str,
        message: str,
        kind: str = "service",
        subject: str = "",
        severity: str = "warning",
        state: str = "raised",
    ) -> None:
        """Keep the alert for the statistics, and hand it to the alert hook the daemon was given."""
        self.alerts.append(Alert(time.time(), source, message))
        del self.alerts[:-MAX_ALERTS]
        if self.alert_hook is None:
            log.warning("alert %s: %s", source, message)
            return
        try:
            self.alert_hook(AlertEvent(kind, subject or source, message, severity=severity, state=state))
        except Exception:  # alerting must never stop recording
            log.exception("could not raise the alert %s: %s", source, message)

    # periodic work ---------------------------------------------------------------

    def _housekeeping(self) -> None:
        while not self.stopping.is_set():
            self.purge_requested.wait(self.config.housekeeping_seconds)
            self.purge_requested.clear()
            if self.stopping.is_set():
                break
            try:
                self.purge_now()
            except Exception:  # the housekeeper must outlive any bug in one pass
                log.exception("housekeeping failed")

    def purge_now(self) -> None:
        retention = {c.name: c.retention_days for c in self.config.cameras.values()}
        for volume in self.volumes.values():
            if not volume.healthy:
                continue
            vconf = volume.config
            purge_volume(
                self.index,
                vconf.name,
                vconf.path,
                retention,
                time.time(),
                vconf.fill_threshold_percent,
                vconf.purge_target_percent,
            )
            volume.disk_full.clear()

    def check_volumes(self) -> None:
        for volume in self.volumes.values():
            if volume.refresh():
                self._alert(
                    f"volume {volume.name}",
                    volume.reason or "available again",
                    kind="volume",
                    subject=volume.name,
                    severity="critical" if volume.reason else "info",
                    state="raised" if volume.reason else "cleared",
                )
                for runtime in self.cameras.values():
                    if runtime.config.volume == volume.name:
                        for worker in runtime.workers:
                            worker.paused_reason = volume.reason

    def stats(self) -> dict[str, Any]:
        now = time.time()
        cameras: dict[str, Any] = {}
        for name, runtime in self.cameras.items():
            volume = self.volumes[runtime.config.volume]
            cameras[name] = {
                "volume": volume.name,
                "volume_ok": volume.healthy,
                "alarm_active": bool(runtime.alarm and runtime.alarm.active(now)),
                "alarm_triggers": runtime.alarm.triggers if runtime.alarm else 0,
                "prealarm_bytes": runtime.prealarm.bytes if runtime.prealarm else 0,
                "prealarm_seconds": round(runtime.prealarm.seconds, 1) if runtime.prealarm else 0,
                "streams": {w.stream.name: w.stats.snapshot(now) for w in runtime.workers},
                "recording": {
                    kind: {
                        "active": s.recording,
                        "segments": s.segments_written,
                        "bytes": s.bytes_written,
                        "errors": s.errors,
                        "last_error": s.last_error,
                    }
                    for kind, s in runtime.sinks.items()
                },
            }
        return {
            "time": now,
            "pid": os.getpid(),
            "cameras": cameras,
            "volumes": {
                n: {"path": str(v.config.path), "ok": v.healthy, "reason": v.reason} for n, v in self.volumes.items()
            },
            "alerts": [a.__dict__ for a in self.alerts],
        }

    def write_stats(self) -> None:
        path = self.config.stats_path
        tmp = path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(self.stats(), indent=1))
            os.replace(tmp, path)
        except OSError as exc:
            log.error("cannot write %s: %s", path, exc)

    def check_cameras(self) -> None:
        """Alert once when a stream has been down for CAMERA_ALERT_SECONDS, clear when back."""
        now = time.time()
        for runtime in self.cameras.values():
            for worker in runtime.workers:
                stats = worker.stats
                key = f"{runtime.config.name}/{worker.stream.name}"
                down = stats.state != "connected"
                seen = stats.last_frame or worker.started_at
                if down and key not in self._cameras_down and now - seen > CAMERA_ALERT_SECONDS:
                    self._cameras_down.add(key)
                    self._alert(
                        f"camera {key}",
                        f"no video for {now - seen:.0f} s: {stats.last_error}",
                        kind="camera",
                        subject=key,
                    )
                elif not down and key in self._cameras_down:
                    self._cameras_down.discard(key)
                    self._alert(
                        f"camera {key}", "recording again", kind="camera", subject=key, severity="info", state="cleared"
                    )

    def _workers_alive(self) -> bool:
        """False when a stream thread is stuck in a read past every timeout (a hang)."""
        limit = max(60.0, 6 * self.config.read_timeout_seconds)
        now = time.monotonic()
        for runtime in self.cameras.values():
            for worker in runtime.workers:
                if worker.stats.state == "connected" and now - worker.heartbeat > limit:
                    log.critical("worker %s hung for %.0f s", worker.name, now - worker.heartbeat)
                    return False
        return True

    def run_forever(self) -> None:
        watchdog = sdnotify.watchdog_interval()
        sdnotify.notify("READY=1")
        next_stats = next_volumes = next_ping = 0.0
        while not self.stopping.is_set():
            now = time.monotonic()
            if self.reload_requested.is_set():
                self.reload_requested.clear()
                self.reload()
            if now >= next_volumes:
                self.check_volumes()
                self.check_cameras()
                next_volumes = now + VOLUME_CHECK_SECONDS
            if now >= next_stats:
                self.write_stats()
                next_stats = now + STATS_SECONDS
            if watchdog is not None and now >= next_ping and self._workers_alive():
                sdnotify.notify("WATCHDOG=1")
                next_ping = now + watchdog
            self.stopping.wait(LOOP_SECONDS)


def run(config_path: Path, alert_hook: AlertHook | None = None) -> int:
    config = load(config_path)
    recorder = Recorder(config, config_path, alert_hook)

    def on_stop(signum: int, frame: FrameType | None) -> None:
        recorder.stopping.set()

    def on_reload(signum: int, frame: FrameType | None) -> None:
        recorder.reload_requested.set()

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    signal.signal(signal.SIGHUP, on_reload)
    recorder.start()
    try:
        recorder.run_forever()
    finally:
        recorder.shutdown()
    return 0
