"""Rendering of the storage apply modules: mount units, mdadm.conf, smartd.conf, hooks."""

from __future__ import annotations

import pytest

from ctsys.apply.render import render_module
from ctsys.config.document import validate
from ctsys.storage.apply_modules import MODULES
from ctsys.storage.mounts import mount_argv

pytestmark = pytest.mark.unit

UUID1 = "5c1a3f2e-8d7b-4f60-9a1e-2b3c4d5e6f70"
UUID2 = "9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"
DOC = {
    "storage": {
        "volumes": [
            {"id": 1, "uuid": UUID1},
            {"id": 7, "uuid": UUID2, "filesystem": "xfs", "enabled": False, "options": ["noatime", "inode64"]},
        ],
        "arrays": [
            {"name": "md0", "uuid": "3e2f1a0b:9c8d7e6f:5a4b3c2d:1e0f9a8b", "level": 5, "devices": 3, "spares": 1}
        ],
        "smart": {
            "short_test_hour": 1,
            "long_test_weekday": 7,
            "long_test_hour": 4,
            "temperature_warning": 45,
            "temperature_critical": 55,
        },
        "replication": {"interval_minutes": 10},
    }
}


def rendered(name: str, data: dict | None = None) -> dict[str, str | None]:
    module = next(m for m in MODULES if m.name == name)
    return render_module(module, validate(DOC if data is None else data))


def test_one_mount_unit_per_volume_by_uuid_with_nofail() -> None:
    files = rendered("storage")
    unit = files["/etc/systemd/system/srv-ctdata-1.mount"]
    assert unit is not None
    assert f"What=/dev/disk/by-uuid/{UUID1}" in unit
    assert "Where=/srv/ctdata/1\n" in unit and "Type=ext4\n" in unit
    assert "Options=nofail,noatime\n" in unit and "WantedBy=local-fs.target" in unit
    assert "Options=nofail,noatime,inode64\n" in (files["/etc/systemd/system/srv-ctdata-7.mount"] or "")
    assert files["/etc/systemd/system/srv-ctdata-2.mount"] is None  # not configured: removed


def test_only_enabled_volumes_are_wanted_at_boot() -> None:
    files = rendered("storage")
    assert (
        files["/etc/systemd/system/local-fs.target.wants/srv-ctdata-1.mount"]
        == "/etc/systemd/system/srv-ctdata-1.mount"
    )
    assert files["/etc/systemd/system/local-fs.target.wants/srv-ctdata-7.mount"] is None


def test_live_mount_uses_the_units_type_and_options() -> None:
    volume = validate(DOC).storage.volumes[1]
    assert mount_argv(volume) == [
        "mount",
        "-t",
        "xfs",
        "-o",
        "nofail,noatime,inode64",
        f"UUID={UUID2}",
        "/srv/ctdata/7",
    ]


def test_timers_and_services_are_enabled_by_symlink() -> None:
    files = rendered("storage")
    assert "OnUnitActiveSec=10min" in (files["/etc/systemd/system/ctsys-storage-replicate.timer"] or "")
    assert files["/etc/systemd/system/timers.target.wants/ctsys-storage-fill.timer"] == (
        "/etc/systemd/system/ctsys-storage-fill.timer"
    )
    shutdown = files["/etc/systemd/system/ctsys-storage-shutdown-copy.service"] or ""
    assert "ExecStop=ctsys storage replicate" in shutdown and "Before=ct-recorder.service" in shutdown
    adopt = files["/etc/systemd/system/ctsys-storage-adopt.service"] or ""
    assert "ConditionPathExists=!/var/lib/ctsys/storage-adopted" in adopt
    assert "ConditionKernelCommandLine=!ctserver.mode=install" in adopt  # the installer leaves data disks alone


def test_mdadm_conf_lists_arrays_by_uuid_and_the_event_program() -> None:
    files = rendered("mdadm")
    conf = files["/etc/mdadm/mdadm.conf"] or ""
    assert "ARRAY /dev/md0 metadata=1.2 UUID=3e2f1a0b:9c8d7e6f:5a4b3c2d:1e0f9a8b spares=1\n" in conf
    assert "PROGRAM /etc/ctsys/storage/mdadm-event\n" in conf
    assert files["/etc/ctsys/storage/mdadm-event"] is not None
    assert 'exec ctsys raid event "$@"' in (files["/etc/ctsys/storage/mdadm-event"] or "")
    empty = rendered("mdadm", {})["/etc/mdadm/mdadm.conf"] or ""
    assert "ARRAY" not in empty


def test_smartd_conf_schedules_tests_and_calls_the_alert_hook() -> None:
    files = rendered("smartd")
    conf = files["/etc/smartd.conf"] or ""
    (line,) = [x for x in conf.splitlines() if x.startswith("DEVICESCAN")]
    assert "-s (S/../.././01|L/../../7/04)" in line
    assert "-W 4,45,55" in line
    assert "-m <nomailer> -M exec /etc/ctsys/storage/smartd-warning" in line
    hook = files["/etc/ctsys/storage/smartd-warning"] or ""
    assert hook.startswith("#!/bin/sh") and "ctsys alert raise --kind smart" in hook


def test_hooks_are_executable() -> None:
    modes = {spec.target: spec.mode for m in MODULES for spec in m.files if isinstance(spec.target, str)}
    assert modes["/etc/ctsys/storage/mdadm-event"] == 0o755
    assert modes["/etc/ctsys/storage/smartd-warning"] == 0o755
