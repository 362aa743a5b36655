"""SMART: `smartctl -j` parsing for ATA, NVMe and USB bridges; self-test start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ctsys.errors import CtsysError
from ctsys.storage.smart import parse_smartctl, start_self_test

FIXTURES = Path(__file__).parent.parent / "fixtures" / "storage"

pytestmark = pytest.mark.unit


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_qemu_ide_disk_is_healthy_with_airflow_temperature() -> None:
    s = parse_smartctl(fixture("smartctl-ata-qemu-ide.json"))
    assert (s.available, s.protocol, s.model, s.serial) == (True, "ATA", "QEMU HARDDISK", "QM00005")
    assert (s.healthy, s.temperature, s.power_on_hours, s.reallocated_sectors) == (True, 31, 1, 0)
    assert s.pending_sectors is None  # qemu has no attribute 197
    assert s.problems == [] and s.ok


def test_nvme_health_log_gives_temperature_and_warnings() -> None:
    s = parse_smartctl(fixture("smartctl-nvme-qemu.json"))
    assert (s.protocol, s.temperature, s.nvme_critical_warning, s.nvme_media_errors) == ("NVMe", 50, 0, 0)
    assert s.ok


def test_failing_nvme_names_each_critical_warning_bit() -> None:
    s = parse_smartctl(fixture("smartctl-nvme-failing.json"))
    assert s.healthy is False and not s.ok
    assert s.power_on_hours == 40210
    warning = next(p for p in s.problems if p.startswith("NVMe critical warning"))
    assert "available spare below threshold" in warning and "reliability degraded" in warning
    assert "12 NVMe media errors" in s.problems


def test_usb_sat_drive_reads_packed_temperature_and_running_test() -> None:
    s = parse_smartctl(fixture("smartctl-usb-sat.json"))
    assert s.temperature == 36
    assert s.power_on_hours == 24812
    assert (s.pending_sectors, s.uncorrectable_sectors) == (0, 0)
    assert s.self_test == "in progress, 90% remaining" and s.self_test_remaining_percent == 90


def test_temperature_attribute_is_used_when_smartctl_gives_none() -> None:
    data = json.loads(fixture("smartctl-usb-sat.json"))
    del data["temperature"]
    # raw 163208757284 packs min/max in the upper bytes; the low 16 bits are the temperature
    assert parse_smartctl(json.dumps(data)).temperature == 36
    qemu = json.loads(fixture("smartctl-ata-qemu-ide.json"))
    del qemu["temperature"]  # qemu's Airflow_Temperature_Cel raw 522125343 = 0x1F1F001F: 31
    assert parse_smartctl(json.dumps(qemu)).temperature == 31


def test_virtio_disk_has_no_smart_and_smartctl_says_why() -> None:
    s = parse_smartctl(fixture("smartctl-virtio-no-smart.json"))
    assert not s.available and s.reason == "/dev/vda: Unable to detect device type"


def pysmart_answers(fake_run) -> None:
    fake_run.on(
        "smartctl", "-j", stdout="smartctl 6.6 2016-05-31 r4324\n=======> UNRECOGNIZED OPTION: j\n", returncode=1
    )
    fake_run.on("smartctl", "-d", "test", "/dev/sda", stdout=fixture("smartctl-d-test-ide.txt"))
    fake_run.on("smartctl", "-d", "sat", "--all", "/dev/sda", stdout=fixture("smartctl-all-ide-sat.txt"))
    fake_run.on("smartctl", "-d", "test", "/dev/nvme0n1", stdout=fixture("smartctl-d-test-nvme.txt"))
    fake_run.on("smartctl", "-d", "nvme", "--all", "/dev/nvme0n1", stdout=fixture("smartctl-all-nvme.txt"))


def test_without_json_smartctl_pysmart_reads_the_text_through_the_seam(fake_run) -> None:
    from ctsys.storage.smart import read_smart

    pysmart_answers(fake_run)
    ata = read_smart("/dev/sda")
    assert (ata.available, ata.protocol, ata.serial, ata.healthy) == (True, "ATA", "QM00005", True)
    assert (ata.temperature, ata.power_on_hours, ata.reallocated_sectors) == (31, 1, 0)
    nvme = read_smart("/dev/nvme0n1")
    assert (nvme.protocol, nvme.temperature, nvme.nvme_critical_warning, nvme.nvme_media_errors) == ("NVMe", 50, 0, 0)
    assert ["smartctl", "-d", "sat", "--all", "/dev/sda"] in fake_run.calls  # every call went through run()


def test_unknown_usb_bridge_is_unavailable_with_smartctls_reason() -> None:
    s = parse_smartctl(fixture("smartctl-usb-unknown-bridge.json"))
    assert not s.available
    assert s.reason == "/dev/sdf: Unknown USB bridge [0x152d:0x0578 (0x214)]"


def test_failing_ata_disk_lists_every_problem() -> None:
    s = parse_smartctl(fixture("smartctl-ata-failing.json"))
    assert s.healthy is False
    assert s.problems == [
        "the drive reports that it is failing (SMART overall-health: FAILED)",
        "a pre-failure attribute is at or below its threshold",
        "3912 reallocated sectors",
        "48 sectors pending reallocation",
        "48 offline uncorrectable sectors",
    ]


def test_no_json_is_unavailable_not_a_crash() -> None:
    s = parse_smartctl("smartctl 6.6\nUnknown option -j", "/dev/sda")
    assert not s.available and "no JSON" in (s.reason or "")


def test_self_test_start_reports_duration(fake_run) -> None:
    fake_run.on("smartctl", "-j", "-t", stdout=fixture("smartctl-test-short-started.json"))
    fake_run.on("smartctl", "-j", "-c", stdout=fixture("smartctl-ata-qemu-ide.json"))
    assert start_self_test("/dev/sda", "short") == "short self-test started on /dev/sda (about 2 min)"
    assert start_self_test("/dev/sda", "long") == "long self-test started on /dev/sda (about 54 min)"
    assert fake_run.calls[:2] == [["smartctl", "-j", "-t", "short", "/dev/sda"], ["smartctl", "-j", "-c", "/dev/sda"]]


def test_self_test_refusal_carries_smartctls_message(fake_run) -> None:
    fake_run.on("smartctl", stdout=fixture("smartctl-usb-unknown-bridge.json"), returncode=1)
    with pytest.raises(CtsysError, match="Unknown USB bridge"):
        start_self_test("/dev/sdf", "long")


def test_smart_show_json_for_one_disk(fake_run, cli_root) -> None:
    fake_run.on("lsblk", stdout=fixture("lsblk-appliance-handmade.json"))
    fake_run.on("smartctl", "-j", "-a", "/dev/nvme0n1", stdout=fixture("smartctl-nvme-qemu.json"))
    result = cli_root("smart", "show", "nvme0n1", "--json")
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.output)
    assert entry["temperature"] == 50 and entry["ok"] is True
