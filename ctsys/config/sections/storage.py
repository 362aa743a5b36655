"""`storage`: data volumes, RAID arrays, SMART monitoring, fill alert, index replication.

Disks themselves are not configuration (they come and go); what the document
keeps is what must survive them: which filesystems are the appliance's data
volumes (by UUID, mounted at /srv/ctdata/N), which md arrays exist (by UUID,
for mdadm.conf), and the thresholds and schedules of the monitors.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ctsys.config.sections import Section

# Filesystem UUIDs: ext4/xfs give RFC 4122 form; vfat-style short ids are not data volumes.
_FS_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# mdadm prints array UUIDs as four 8-digit hex groups joined by ':'.
_MD_UUID = re.compile(r"^[0-9a-f]{8}(:[0-9a-f]{8}){3}$")
_MD_NAME = re.compile(r"^md[0-9]{1,3}$")

MAX_VOLUMES = 32
RAID_LEVELS = (1, 5, 6, 10)


class DataVolume(Section):
    id: int = Field(ge=1, le=MAX_VOLUMES, description="N of /srv/ctdata/N and of the label ctdata-N.")
    uuid: str = Field(description="Filesystem UUID; the mount unit finds the volume by it.")
    filesystem: Literal["ext4", "xfs"] = Field("ext4", description="Filesystem type (ext4 or xfs).")
    options: list[str] = Field(
        default_factory=lambda: ["noatime"],
        description="Extra mount options; nofail is always added so a missing disk never blocks boot.",
    )
    enabled: bool = Field(True, description="Mount at boot; false keeps the volume known but unmounted.")

    @field_validator("uuid")
    @classmethod
    def _uuid(cls, value: str) -> str:
        value = value.lower()
        if not _FS_UUID.match(value):
            raise ValueError(f"{value!r} is not a filesystem UUID (like 3f2a...-....-....-....-............)")
        return value

    @field_validator("options")
    @classmethod
    def _options(cls, value: list[str]) -> list[str]:
        for option in value:
            if not re.match(r"^[A-Za-z0-9_.=/:-]+$", option):
                raise ValueError(f"{option!r} is not a mount option (no spaces or commas; one per item)")
        return value

    @property
    def mountpoint(self) -> str:
        return f"/srv/ctdata/{self.id}"

    @property
    def label(self) -> str:
        return f"ctdata-{self.id}"

    @property
    def unit(self) -> str:
        return f"srv-ctdata-{self.id}.mount"

    @property
    def mount_options(self) -> list[str]:
        return ["nofail", *[o for o in self.options if o != "nofail"]]


class RaidArray(Section):
    name: str = Field(description="Kernel name of the array: md0, md1, ...")
    uuid: str = Field(description="Array UUID as mdadm prints it (xxxxxxxx:xxxxxxxx:xxxxxxxx:xxxxxxxx).")
    level: Literal[1, 5, 6, 10] = Field(description="RAID level: 1, 5, 6 or 10.")
    devices: int = Field(ge=2, le=64, description="Number of active members (raid-devices).")
    spares: int = Field(0, ge=0, le=16, description="Number of hot spares.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _MD_NAME.match(value):
            raise ValueError(f"{value!r} is not an md array name (md0 .. md999)")
        return value

    @field_validator("uuid")
    @classmethod
    def _uuid(cls, value: str) -> str:
        value = value.lower()
        if not _MD_UUID.match(value):
            raise ValueError(f"{value!r} is not an mdadm UUID (four groups of 8 hex digits joined by ':')")
        return value

    @model_validator(mode="after")
    def _enough_devices(self) -> RaidArray:
        minimum = {1: 2, 5: 3, 6: 4, 10: 4}[self.level]
        if self.devices < minimum:
            raise ValueError(f"@devices: RAID {self.level} needs at least {minimum} devices, not {self.devices}")
        return self


class SmartSettings(Section):
    short_test_hour: int = Field(2, ge=0, le=23, description="Hour of the daily short self-test.")
    long_test_weekday: int = Field(
        6, ge=1, le=7, description="Day of the weekly long self-test (1 Monday .. 7 Sunday)."
    )
    long_test_hour: int = Field(3, ge=0, le=23, description="Hour of the weekly long self-test.")
    temperature_warning: int = Field(50, ge=20, le=90, description="Warn at this temperature (°C).")
    temperature_critical: int = Field(60, ge=20, le=100, description="Critical alert at this temperature (°C).")

    @model_validator(mode="after")
    def _temperatures(self) -> SmartSettings:
        if self.temperature_critical <= self.temperature_warning:
            raise ValueError(
                f"@temperature_critical: {self.temperature_critical} must be above "
                f"temperature_warning ({self.temperature_warning})"
            )
        return self


class Replication(Section):
    database: str = Field(
        "/var/lib/ct-recorder/index.sqlite",
        description="The recordings index copied to every data volume (SQLite: copied with its backup API).",
    )
    interval_minutes: int = Field(15, ge=1, le=1440, description="Copy period; it is also copied at shutdown.")

    @field_validator("database")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/") or "\n" in value:
            raise ValueError(f"{value!r} is not an absolute path")
        return value


class StorageSection(Section):
    volumes: list[DataVolume] = Field(default_factory=list, description="Data volumes (ctdata-N).")
    arrays: list[RaidArray] = Field(default_factory=list, description="md RAID arrays (mdadm.conf).")
    fill_alert_percent: int = Field(
        90, ge=50, le=99, description="Raise a disk-fill alert when a data volume is this full (percent)."
    )
    smart: SmartSettings = Field(default_factory=SmartSettings)
    replication: Replication = Field(default_factory=Replication)

    @model_validator(mode="after")
    def _unique(self) -> StorageSection:
        for key in ("id", "uuid"):
            seen: dict[object, int] = {}
            for i, volume in enumerate(self.volumes):
                value = getattr(volume, key)
                if value in seen:
                    raise ValueError(f"@volumes[{i}].{key}: {value!r} is already used by volumes[{seen[value]}]")
                seen[value] = i
        for key in ("name", "uuid"):
            seen = {}
            for i, array in enumerate(self.arrays):
                value = getattr(array, key)
                if value in seen:
                    raise ValueError(f"@arrays[{i}].{key}: {value!r} is already used by arrays[{seen[value]}]")
                seen[value] = i
        return self

    def volume(self, volume_id: int) -> DataVolume | None:
        return next((v for v in self.volumes if v.id == volume_id), None)

    def next_volume_id(self) -> int | None:
        """The smallest free N, or None when all MAX_VOLUMES are taken."""
        used = {v.id for v in self.volumes}
        return next((n for n in range(1, MAX_VOLUMES + 1) if n not in used), None)
