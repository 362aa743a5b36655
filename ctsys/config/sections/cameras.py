"""`cameras`: what the recorder daemon records, where, and for how long.

The recorder reads this section itself at start and on reload (recorder/config.py,
plain dataclasses so the daemon needs no pydantic); this model gives `ctsys` the
same rules with path-naming errors, and delegates the cross-field checks
(a camera's volume and streams exist, schedules parse) to the recorder's parser
so the two can never disagree.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ctsys.config.sections import Section

Schedule = Literal["always", "never"] | dict[str, list[str]]


class HttpEndpoint(Section):
    address: str = Field("127.0.0.1", description="Address of the alarm/statistics endpoint.")
    port: int = Field(8089, ge=0, le=65535, description="Its TCP port.")


class Volume(Section):
    name: str = Field(description="Name the cameras refer to.")
    path: str = Field(description="Mount point of the data volume.")
    require_mount: bool = Field(
        True, description="Record only while `path` is a mount point (never onto the system disk)."
    )
    fill_threshold_percent: float = Field(90.0, ge=1, le=99.9, description="Purge above this fill.")
    purge_target_percent: float | None = Field(
        None, ge=0, le=99.9, description="Purge down to this fill (default: threshold - 5)."
    )


class Stream(Section):
    url: str = Field(description="rtsp://host[:port]/path or http://host/mjpeg (no credentials).")
    transport: Literal["tcp", "udp", "udp_multicast", "http"] = Field(
        "tcp", description="RTSP transport: TCP interleaved, UDP, multicast, or HTTP tunnelling."
    )
    username: str | None = None
    password: str | None = None
    mjpeg: bool | None = Field(None, description="HTTP multipart MJPEG (default: true for http://).")


class Recording(Section):
    stream: str | None = Field(None, description="Which stream to record (default: the first).")
    schedule: Schedule = Field(
        "always", description="'always', 'never' or {mon: ['08:00-18:00'], ...} in quarter hours."
    )
    enabled: bool = True


class Alarm(Recording):
    pre_alarm_mb: float = Field(8.0, ge=2, le=128, description="Pre-alarm buffer size in MB.")
    post_alarm_seconds: float = Field(30.0, ge=0, le=3600, description="Recording after the last trigger.")


class Camera(Section):
    name: str
    volume: str
    streams: dict[str, Stream] = Field(description="One or two streams, e.g. main and sub.")
    continuous: Recording | None = Field(default_factory=Recording)
    alarm: Alarm | None = None
    retention_days: float = Field(30.0, gt=0, le=3650)
    enabled: bool = True


class CamerasSection(Section):
    state_dir: str = Field("/var/lib/ct-recorder", description="Index, statistics.")
    segment_seconds: float = Field(60.0, ge=2, le=3600, description="Segment length.")
    fsync_seconds: float = Field(1.0, ge=0.1, le=60, description="How often segments are made durable.")
    housekeeping_seconds: float = Field(30.0, ge=0.5, le=3600, description="Retention/purge period.")
    read_timeout_seconds: float = Field(10.0, ge=1, le=600, description="A silent camera is reconnected.")
    backoff_max_seconds: float = Field(30.0, ge=0.5, le=3600, description="Longest wait between reconnects.")
    http: HttpEndpoint = Field(default_factory=HttpEndpoint)
    volumes: list[Volume] = Field(default_factory=list)
    cameras: list[Camera] = Field(default_factory=list)

    @model_validator(mode="after")
    def _recorder_accepts(self) -> CamerasSection:
        from recorder.config import ConfigError, parse

        try:
            parse(self.model_dump(mode="json", exclude_none=True), path="cameras")
        except ConfigError as exc:
            # "@rel.path: reason" lets the document name the exact field.
            rel = exc.path.removeprefix("cameras").lstrip(".")
            raise ValueError(f"@{rel}: {exc.reason}" if rel else exc.reason) from None
        return self
