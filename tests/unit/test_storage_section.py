"""The `storage` document section: defaults, and errors that name the field."""

from __future__ import annotations

import pytest

from ctsys.config.document import validate
from ctsys.errors import ValidationError

pytestmark = pytest.mark.unit

UUID1 = "5c1a3f2e-8d7b-4f60-9a1e-2b3c4d5e6f70"
UUID2 = "9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"


def problems(data: dict) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as info:
        validate({"storage": data})
    return info.value.problems


def test_defaults_have_no_volume_and_sane_monitors() -> None:
    storage = validate({}).storage
    assert storage.volumes == [] and storage.arrays == []
    assert storage.fill_alert_percent == 90
    assert storage.smart.temperature_warning < storage.smart.temperature_critical


def test_volume_derives_mountpoint_label_unit_and_always_nofail() -> None:
    data = {"storage": {"volumes": [{"id": 3, "uuid": UUID1.upper(), "options": ["noatime"]}]}}
    volume = validate(data).storage.volumes[0]
    assert (volume.mountpoint, volume.label, volume.unit) == ("/srv/ctdata/3", "ctdata-3", "srv-ctdata-3.mount")
    assert volume.uuid == UUID1
    assert volume.mount_options == ["nofail", "noatime"]


def test_bad_uuid_names_the_field() -> None:
    [(path, reason)] = problems({"volumes": [{"id": 1, "uuid": "nope"}]})
    assert path == "storage.volumes[0].uuid" and "'nope' is not a filesystem UUID" in reason


def test_duplicate_volume_id_names_the_second_volume() -> None:
    [(path, reason)] = problems({"volumes": [{"id": 1, "uuid": UUID1}, {"id": 1, "uuid": UUID2}]})
    assert path == "storage.volumes[1].id" and "already used by volumes[0]" in reason


def test_raid_level_needs_enough_devices() -> None:
    [(path, reason)] = problems({"arrays": [{"name": "md0", "uuid": "a:b", "level": 5, "devices": 2}]})
    assert path == "storage.arrays[0].uuid"
    [(path, reason)] = problems(
        {"arrays": [{"name": "md0", "uuid": "3e2f1a0b:9c8d7e6f:5a4b3c2d:1e0f9a8b", "level": 6, "devices": 3}]}
    )
    assert path == "storage.arrays[0].devices" and "RAID 6 needs at least 4 devices" in reason


def test_critical_temperature_must_be_above_warning() -> None:
    [(path, reason)] = problems({"smart": {"temperature_warning": 60, "temperature_critical": 55}})
    assert path == "storage.smart.temperature_critical" and "must be above" in reason


def test_fill_threshold_is_bounded_and_comma_options_refused() -> None:
    [(path, _)] = problems({"fill_alert_percent": 100})
    assert path == "storage.fill_alert_percent"
    [(path, reason)] = problems({"volumes": [{"id": 1, "uuid": UUID1, "options": ["noatime,sync"]}]})
    assert path == "storage.volumes[0].options" and "one per item" in reason
