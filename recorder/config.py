"""The recorder's configuration: the `cameras` section of the appliance document.

The daemon reads this section itself (plain dataclasses, no pydantic at start-up);
`ctsys/config/sections/cameras.py` validates the same shape when the document is
edited, and a unit test keeps the two in step.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import yaml

from recorder.schedule import ScheduleError, WeeklySchedule

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
# Stream names go into file names between '_' separators.
STREAM_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,15}$")
TRANSPORTS = ("tcp", "udp", "udp_multicast", "http")
KINDS = ("continuous", "alarm")
DEFAULT_SEGMENT_SECONDS = 60.0


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
    transport: str = "tcp"
    username: str | None = None
    password: str | None = None
    # MJPEG over HTTP carries no timestamps: arrival time is used instead.
    mjpeg: bool = False

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
    schedule: WeeklySchedule = field(default_factory=WeeklySchedule.always)
    enabled: bool = True


@dataclass(frozen=True)
class AlarmConfig(RecordingConfig):
    pre_alarm_mb: float = 8.0
    post_alarm_seconds: float = 30.0


@dataclass(frozen=True)
class CameraConfig:
    name: str
    volume: str
    streams: dict[str, StreamConfig]
    continuous: RecordingConfig | None
    alarm: AlarmConfig | None
    retention_days: float = 30.0
    enabled: bool = True

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
    require_mount: bool = True
    fill_threshold_percent: float = 90.0
    purge_target_percent: float = 85.0


@dataclass(frozen=True)
class RecorderConfig:
    state_dir: Path
    volumes: dict[str, VolumeConfig]
    cameras: dict[str, CameraConfig]
    http_address: str = "127.0.0.1"
    http_port: int = 8089
    segment_seconds: float = DEFAULT_SEGMENT_SECONDS
    fsync_seconds: float = 1.0
    housekeeping_seconds: float = 30.0
    read_timeout_seconds: float = 10.0
    backoff_max_seconds: float = 30.0

    @property
    def index_path(self) -> Path:
        return self.state_dir / "index.sqlite"

    @property
    def stats_path(self) -> Path:
        return self.state_dir / "stats.json"


def _get(data: Mapping[str, Any], key: str, path: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
    if key not in data or data[key] is None:
        if default is ...:
            raise ConfigError(f"{path}.{key}", "is required")
        return default
    value = data[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ConfigError(f"{path}.{key}", f"expected {names}, got {value!r}")
    return value


def _name(value: str, path: str) -> str:
    if not NAME_RE.match(value):
        raise ConfigError(path, f"{value!r} is not a name (letters, digits, _ and -, 1-32)")
    return value


def _range(value: float, low: float, high: float, path: str) -> float:
    if not low <= value <= high:
        raise ConfigError(path, f"{value:g} is outside {low:g}..{high:g}")
    return value


def _schedule(data: Mapping[str, Any], path: str) -> WeeklySchedule:
    try:
        return WeeklySchedule.parse(data.get("schedule", "always"))
    except ScheduleError as exc:
        raise ConfigError(f"{path}.schedule", str(exc)) from None


def _stream(name: str, data: Mapping[str, Any], path: str) -> StreamConfig:
    url = _get(data, "url", path, str)
    scheme = urlsplit(url).scheme
    if scheme not in ("rtsp", "rtsps", "http", "https"):
        raise ConfigError(f"{path}.url", f"scheme {scheme!r} is not rtsp or http")
    transport = _get(data, "transport", path, str, "tcp")
    if transport not in TRANSPORTS:
        raise ConfigError(f"{path}.transport", f"{transport!r} is not one of {', '.join(TRANSPORTS)}")
    return StreamConfig(
        name=name,
        url=url,
        transport=transport,
        username=_get(data, "username", path, str, None),
        password=_get(data, "password", path, str, None),
        mjpeg=_get(data, "mjpeg", path, bool, scheme in ("http", "https")),
    )


def _camera(data: Mapping[str, Any], path: str, volumes: Mapping[str, VolumeConfig]) -> CameraConfig:
    name = _name(_get(data, "name", path, str), f"{path}.name")
    volume = _get(data, "volume", path, str)
    if volume not in volumes:
        raise ConfigError(f"{path}.volume", f"no volume named {volume!r}")
    raw_streams = _get(data, "streams", path, dict)
    if not 1 <= len(raw_streams) <= 2:
        raise ConfigError(f"{path}.streams", "a camera has one or two streams")
    streams: dict[str, StreamConfig] = {}
    for key, value in raw_streams.items():
        if not isinstance(key, str) or not STREAM_NAME_RE.match(key):
            raise ConfigError(f"{path}.streams.{key}", "a stream name is letters, digits and -, 1-16")
        streams[key] = _stream(key, value, f"{path}.streams.{key}")
    first = next(iter(streams))

    continuous = None
    if (raw := data.get("continuous", {})) is not None:
        cpath = f"{path}.continuous"
        continuous = RecordingConfig(
            stream=_get(raw, "stream", cpath, str, first),
            schedule=_schedule(raw, cpath),
            enabled=_get(raw, "enabled", cpath, bool, True),
        )
    alarm = None
    if (raw := data.get("alarm")) is not None:
        apath = f"{path}.alarm"
        alarm = AlarmConfig(
            stream=_get(raw, "stream", apath, str, first),
            schedule=_schedule(raw, apath),
            enabled=_get(raw, "enabled", apath, bool, True),
            pre_alarm_mb=_range(_get(raw, "pre_alarm_mb", apath, float, 8.0), 2, 128, f"{apath}.pre_alarm_mb"),
            post_alarm_seconds=_range(
                _get(raw, "post_alarm_seconds", apath, float, 30.0),
                0,
                3600,
                f"{apath}.post_alarm_seconds",
            ),
        )
    for label, rec in (("continuous", continuous), ("alarm", alarm)):
        if rec is not None and rec.stream not in streams:
            raise ConfigError(f"{path}.{label}.stream", f"no stream named {rec.stream!r}")
    return CameraConfig(
        name=name,
        volume=volume,
        streams=streams,
        continuous=continuous,
        alarm=alarm,
        retention_days=_range(_get(data, "retention_days", path, float, 30.0), 0.001, 3650, f"{path}.retention_days"),
        enabled=_get(data, "enabled", path, bool, True),
    )


def parse(section: Mapping[str, Any], path: str = "cameras") -> RecorderConfig:
    """Validate the `cameras` section; raise ConfigError naming the first bad field."""
    volumes: dict[str, VolumeConfig] = {}
    for i, raw in enumerate(_get(section, "volumes", path, list, [])):
        vpath = f"{path}.volumes[{i}]"
        name = _name(_get(raw, "name", vpath, str), f"{vpath}.name")
        if name in volumes:
            raise ConfigError(f"{vpath}.name", f"duplicate volume {name!r}")
        threshold = _range(
            _get(raw, "fill_threshold_percent", vpath, float, 90.0),
            1,
            99.9,
            f"{vpath}.fill_threshold_percent",
        )
        target = _range(
            _get(raw, "purge_target_percent", vpath, float, threshold - 5),
            0,
            threshold,
            f"{vpath}.purge_target_percent",
        )
        volumes[name] = VolumeConfig(
            name=name,
            path=Path(_get(raw, "path", vpath, str)),
            require_mount=_get(raw, "require_mount", vpath, bool, True),
            fill_threshold_percent=threshold,
            purge_target_percent=target,
        )
    cameras: dict[str, CameraConfig] = {}
    for i, raw in enumerate(_get(section, "cameras", path, list, [])):
        camera = _camera(raw, f"{path}.cameras[{i}]", volumes)
        if camera.name in cameras:
            raise ConfigError(f"{path}.cameras[{i}].name", f"duplicate camera {camera.name!r}")
        cameras[camera.name] = camera
    http = _get(section, "http", path, dict, {})
    return RecorderConfig(
        state_dir=Path(_get(section, "state_dir", path, str, "/var/lib/ct-recorder")),
        volumes=volumes,
        cameras=cameras,
        http_address=_get(http, "address", f"{path}.http", str, "127.0.0.1"),
        http_port=int(_range(_get(http, "port", f"{path}.http", int, 8089), 0, 65535, f"{path}.http.port")),
        segment_seconds=_range(
            _get(section, "segment_seconds", path, float, DEFAULT_SEGMENT_SECONDS),
            2,
            3600,
            f"{path}.segment_seconds",
        ),
        fsync_seconds=_range(_get(section, "fsync_seconds", path, float, 1.0), 0.1, 60, f"{path}.fsync_seconds"),
        housekeeping_seconds=_range(
            _get(section, "housekeeping_seconds", path, float, 30.0),
            0.5,
            3600,
            f"{path}.housekeeping_seconds",
        ),
        read_timeout_seconds=_range(
            _get(section, "read_timeout_seconds", path, float, 10.0),
            1,
            600,
            f"{path}.read_timeout_seconds",
        ),
        backoff_max_seconds=_range(
            _get(section, "backoff_max_seconds", path, float, 30.0),
            0.5,
            3600,
            f"{path}.backoff_max_seconds",
        ),
    )


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
