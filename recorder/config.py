"""The recorder's runtime configuration, derived from the validated `cameras` section.

The section's schema (fields, defaults, ranges, cross-field rules) is
recorder/schema.py, the same one `ctsys` validates the document with. Here it
becomes frozen dataclasses in the daemon's terms: paths, parsed schedules, the
stream each recording uses, URLs with credentials; comparing two of them tells
a reload which cameras changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import yaml
from pydantic import ValidationError as PydanticValidationError

from recorder import schema
from recorder.schedule import WeeklySchedule


class ConfigError(ValueError):
    """Invalid recorder configuration; `path` names the field."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class StreamConfig:
    name: str
    url: str
    transport: str
    username: str | None
    password: str | None
    # MJPEG over HTTP carries no timestamps: arrival time is used instead.
    mjpeg: bool

    def open_url(self) -> str:
        """The URL with credentials embedded, as FFmpeg expects them."""
        if not self.username:
            return self.url
        parts = urlsplit(self.url)
        auth = quote(self.username, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        host = parts.netloc.rsplit("@", 1)[-1]
        return urlunsplit((parts.scheme, f"{auth}@{host}", parts.path, parts.query, parts.fragment))

    def safe_url(self) -> str:
        """The URL without any credentials, for logs and statistics."""
        parts = urlsplit(self.url)
        host = parts.netloc.rsplit("@", 1)[-1]
        return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


@dataclass(frozen=True)
class RecordingConfig:
    """One recording kind (continuous or alarm) of one camera."""

    stream: str
    schedule: WeeklySchedule
    enabled: bool


@dataclass(frozen=True)
class AlarmConfig(RecordingConfig):
    pre_alarm_mb: float
    post_alarm_seconds: float


@dataclass(frozen=True)
class CameraConfig:
    name: str
    volume: str
    streams: dict[str, StreamConfig]
    continuous: RecordingConfig | None
    alarm: AlarmConfig | None
    retention_days: float
    enabled: bool

    def recorded_streams(self) -> list[str]:
        names = []
        for rec in (self.continuous, self.alarm):
            if rec is not None and rec.enabled and rec.stream not in names:
                names.append(rec.stream)
        return names


@dataclass(frozen=True)
class VolumeConfig:
    name: str
    path: Path
    # A volume must be a mount point in production: writing into an empty mount
    # directory would fill the system disk.
    require_mount: bool
    fill_threshold_percent: float
    purge_target_percent: float


@dataclass(frozen=True)
class RecorderConfig:
    state_dir: Path
    volumes: dict[str, VolumeConfig]
    cameras: dict[str, CameraConfig]
    http_address: str
    http_port: int
    segment_seconds: float
    fsync_seconds: float
    housekeeping_seconds: float
    read_timeout_seconds: float
    backoff_max_seconds: float

    @property
    def index_path(self) -> Path:
        return self.state_dir / "index.sqlite"

    @property
    def stats_path(self) -> Path:
        return self.state_dir / "stats.json"


def _stream(name: str, stream: schema.Stream) -> StreamConfig:
    return StreamConfig(name, stream.url, stream.transport, stream.username, stream.password, stream.is_mjpeg)


def _camera(camera: schema.Camera) -> CameraConfig:
    continuous = None
    if camera.continuous is not None:
        rec = camera.continuous
        continuous = RecordingConfig(camera.stream_of(rec), rec.weekly, rec.enabled)
    alarm = None
    if camera.alarm is not None:
        rec = camera.alarm
        alarm = AlarmConfig(camera.stream_of(rec), rec.weekly, rec.enabled, rec.pre_alarm_mb, rec.post_alarm_seconds)
    return CameraConfig(
        name=camera.name,
        volume=camera.volume,
        streams={name: _stream(name, s) for name, s in camera.streams.items()},
        continuous=continuous,
        alarm=alarm,
        retention_days=camera.retention_days,
        enabled=camera.enabled,
    )


def from_section(section: schema.CamerasSection) -> RecorderConfig:
    """The runtime configuration of a validated `cameras` section (the document's own model)."""
    return RecorderConfig(
        state_dir=Path(section.state_dir),
        volumes={
            v.name: VolumeConfig(v.name, Path(v.path), v.require_mount, v.fill_threshold_percent, v.purge_target)
            for v in section.volumes
        },
        cameras={c.name: _camera(c) for c in section.cameras},
        http_address=section.http.address,
        http_port=section.http.port,
        segment_seconds=section.segment_seconds,
        fsync_seconds=section.fsync_seconds,
        housekeeping_seconds=section.housekeeping_seconds,
        read_timeout_seconds=section.read_timeout_seconds,
        backoff_max_seconds=section.backoff_max_seconds,
    )


def parse(section: Mapping[str, Any], path: str = "cameras") -> RecorderConfig:
    """Validate the `cameras` section (recorder/schema.py); raise ConfigError naming the first bad field."""
    try:
        validated = schema.CamerasSection.model_validate(section)
    except PydanticValidationError as exc:
        where, reason = schema.problems(exc, path)[0]
        raise ConfigError(where, reason) from None
    return from_section(validated)


def load(path: Path) -> RecorderConfig:
    """Load a YAML/JSON file: either the whole appliance document or the bare section."""
    text = path.read_text()
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ConfigError(str(path), "is not a mapping")
    # The appliance document nests the section under `cameras`; the bare section
    # has `cameras` as a list.
    if isinstance(data.get("cameras"), dict):
        data = data["cameras"]
    return parse(data)
