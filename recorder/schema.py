"""The `cameras` section of the appliance document: what the recorder records, where, for how long.

This is the section's only schema: every field, default, range and cross-field
rule is here. `ctsys` validates the document with it (ctsys/config/document.py
makes it the document's `cameras` section) and the recorder derives its
runtime configuration from the validated section (recorder/config.py). It
depends on pydantic and recorder.schedule only: no ctsys internals, so the
daemon can import it (docs/developing.md says why it lives here).

A rule that blames another field than the one validated says so as
"@rel.path: reason" (the document's convention, ctsys/config/document.py).
"""

from __future__ import annotations

import re
import typing
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from recorder.schedule import ScheduleError, WeeklySchedule

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
# Stream names go into file names between '_' separators.
STREAM_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,15}$")
SCHEMES = ("rtsp", "rtsps", "http", "https")

Schedule = Literal["always", "never"] | dict[str, list[str]]


class Model(BaseModel):
    """Unknown keys are refused, assignments validated (as every section of the document)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, validate_default=True)


def _name(value: str) -> str:
    if not NAME_RE.match(value):
        raise ValueError(f"{value!r} is not a name (letters, digits, _ and -, 1-32)")
    return value


Name = Annotated[str, AfterValidator(_name)]


class HttpEndpoint(Model):
    address: str = Field("127.0.0.1", description="Address of the alarm/statistics endpoint.")
    port: int = Field(8089, ge=0, le=65535, description="Its TCP port.")


class Volume(Model):
    name: Name = Field(description="Name the cameras refer to.")
    path: str = Field(description="Mount point of the data volume.")
    require_mount: bool = Field(
        True, description="Record only while `path` is a mount point (never onto the system disk)."
    )
    fill_threshold_percent: float = Field(90.0, ge=1, le=99.9, description="Purge above this fill.")
    purge_target_percent: float | None = Field(
        None, ge=0, le=99.9, description="Purge down to this fill (default: threshold - 5)."
    )

    @property
    def purge_target(self) -> float:
        if self.purge_target_percent is None:
            return self.fill_threshold_percent - 5
        return self.purge_target_percent

    @model_validator(mode="after")
    def _target_below_threshold(self) -> Volume:
        if self.purge_target > self.fill_threshold_percent:
            raise ValueError(
                f"@purge_target_percent: {self.purge_target:g} is outside 0..{self.fill_threshold_percent:g}"
            )
        return self


class Stream(Model):
    url: str = Field(description="rtsp://host[:port]/path or http://host/mjpeg (no credentials).")
    transport: Literal["tcp", "udp", "udp_multicast", "http"] = Field(
        "tcp", description="RTSP transport: TCP interleaved, UDP, multicast, or HTTP tunnelling."
    )
    username: str | None = None
    password: str | None = None
    mjpeg: bool | None = Field(None, description="HTTP multipart MJPEG (default: true for http://).")

    @field_validator("url")
    @classmethod
    def _scheme(cls, url: str) -> str:
        scheme = urlsplit(url).scheme
        if scheme not in SCHEMES:
            raise ValueError(f"scheme {scheme!r} is not rtsp or http")
        return url

    @property
    def is_mjpeg(self) -> bool:
        """MJPEG over HTTP carries no timestamps: arrival time is used instead."""
        return self.mjpeg if self.mjpeg is not None else urlsplit(self.url).scheme in ("http", "https")


class Recording(Model):
    stream: str | None = Field(None, description="Which stream to record (default: the first).")
    schedule: Schedule = Field(
        "always", description="'always', 'never' or {mon: ['08:00-18:00'], ...} in quarter hours."
    )
    enabled: bool = True

    @field_validator("schedule")
    @classmethod
    def _schedule_parses(cls, schedule: Schedule) -> Schedule:
        try:
            WeeklySchedule.parse(schedule)
        except ScheduleError as exc:
            raise ValueError(str(exc)) from None
        return schedule

    @property
    def weekly(self) -> WeeklySchedule:
        return WeeklySchedule.parse(self.schedule)


class Alarm(Recording):
    pre_alarm_mb: float = Field(8.0, ge=2, le=128, description="Pre-alarm buffer size in MB.")
    post_alarm_seconds: float = Field(30.0, ge=0, le=3600, description="Recording after the last trigger.")


class Camera(Model):
    name: Name
    volume: str
    streams: dict[str, Stream] = Field(description="One or two streams, e.g. main and sub.")
    continuous: Recording | None = Field(default_factory=Recording)
    alarm: Alarm | None = None
    retention_days: float = Field(30.0, gt=0, le=3650)
    enabled: bool = True

    @field_validator("streams")
    @classmethod
    def _one_or_two_named_streams(cls, streams: dict[str, Stream]) -> dict[str, Stream]:
        if not 1 <= len(streams) <= 2:
            raise ValueError("a camera has one or two streams")
        for key in streams:
            if not STREAM_NAME_RE.match(key):
                raise ValueError(f"@{key}: a stream name is letters, digits and -, 1-16")
        return streams

    def stream_of(self, recording: Recording) -> str:
        """The stream a recording records: the one it names, else the camera's first."""
        return recording.stream if recording.stream is not None else next(iter(self.streams))

    @model_validator(mode="after")
    def _recorded_streams_exist(self) -> Camera:
        for label, recording in (("continuous", self.continuous), ("alarm", self.alarm)):
            if recording is not None and self.stream_of(recording) not in self.streams:
                raise ValueError(f"@{label}.stream: no stream named {self.stream_of(recording)!r}")
        return self


class CamerasSection(Model):
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
    def _names_and_volumes(self) -> CamerasSection:
        volumes: set[str] = set()
        for i, volume in enumerate(self.volumes):
            if volume.name in volumes:
                raise ValueError(f"@volumes[{i}].name: duplicate volume {volume.name!r}")
            volumes.add(volume.name)
        cameras: set[str] = set()
        for i, camera in enumerate(self.cameras):
            if camera.volume not in volumes:
                raise ValueError(f"@cameras[{i}].volume: no volume named {camera.volume!r}")
            if camera.name in cameras:
                raise ValueError(f"@cameras[{i}].name: duplicate camera {camera.name!r}")
            cameras.add(camera.name)
        return self


# --------------------------------------------------------------------------- errors as field paths
def problems(exc: PydanticValidationError, path: str = "cameras") -> list[tuple[str, str]]:
    """(field path, reason) of each error, the path under `path` ("cameras.cameras[0].volume").

    A number out of its range reads "1 is outside 2..128"; a rule that blames
    another field ("@rel: reason") names that field.
    """
    found = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        where = path + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
        kind, message, value = error["type"], str(error["msg"]), error.get("input")
        if kind == "missing":
            reason = "is required"
        elif kind == "extra_forbidden":
            reason = "unknown key"
        elif kind == "value_error":
            reason = message.removeprefix("Value error, ")
        elif kind in _RANGE_ERRORS and (bounds := _bounds(loc)) is not None:
            low, high, above = bounds
            reason = f"{value:g} is outside {low:g}..{high:g}" + (f" (above {low:g})" if above else "")
        else:
            shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
            reason = f"{shown}: {message[0].lower()}{message[1:]}"
        if reason.startswith("@") and ": " in reason:
            rel, reason = reason[1:].split(": ", 1)
            where += rel if rel.startswith("[") else "." + rel
        found.append((where, reason))
    return found


_RANGE_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def _bounds(loc: tuple[Any, ...]) -> tuple[float, float, bool] | None:
    """(low, high, low excluded) of the number field at `loc` in the section, from its Field(ge=..., le=...)."""
    model: Any = CamerasSection
    info = None
    for part in loc:
        if isinstance(part, int) or model is None or part not in model.model_fields:
            continue  # a list index or a dict key: the element's model
        info = model.model_fields[part]
        model = _model_in(info.annotation)
    if info is None:
        return None
    low = next((getattr(m, a) for m in info.metadata for a in ("ge", "gt") if hasattr(m, a)), None)
    high = next((getattr(m, a) for m in info.metadata for a in ("le", "lt") if hasattr(m, a)), None)
    above = any(hasattr(m, "gt") for m in info.metadata)
    return (low, high, above) if low is not None and high is not None else None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
