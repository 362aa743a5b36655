"""SMART health from `smartctl -j` (smartmontools' machine output), and self-tests.

smartctl's exit status is a bit mask (bit 3: disk failing, bit 4: a pre-fail
attribute at threshold, ...), so it runs with check=False and the JSON is read
whatever the status; only "could not open the device" (bits 0-1) means no data.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from ctsys.errors import CtsysError
from ctsys.run import run

# ATA attribute ids: the ones an operator acts on.
ATTR_REALLOCATED = 5
ATTR_POWER_ON_HOURS = 9
ATTR_TEMPERATURE = (194, 190)  # Temperature_Celsius, else Airflow_Temperature_Cel
ATTR_PENDING = 197
ATTR_UNCORRECTABLE = 198
# NVMe critical_warning bits (NVMe base spec, SMART / Health log byte 0).
NVME_WARNINGS = {
    0x01: "available spare below threshold",
    0x02: "temperature outside its thresholds",
    0x04: "reliability degraded by media or internal errors",
    0x08: "media placed in read-only mode",
    0x10: "volatile memory backup failed",
    0x20: "persistent memory region read-only",
}
EXIT_FAILING = 0x08
EXIT_PREFAIL = 0x10


@dataclass
class SmartSummary:
    device: str
    available: bool
    reason: str | None = None  # why there is no SMART data
    protocol: str | None = None  # ATA, NVMe, SCSI
    model: str | None = None
    serial: str | None = None
    healthy: bool | None = None  # the drive's own overall assessment
    temperature: int | None = None
    power_on_hours: int | None = None
    reallocated_sectors: int | None = None
    pending_sectors: int | None = None
    uncorrectable_sectors: int | None = None
    nvme_critical_warning: int | None = None
    nvme_percentage_used: int | None = None
    nvme_media_errors: int | None = None
    self_test: str | None = None  # status of the last / running self-test
    self_test_remaining_percent: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.available and not self.problems


def _attributes(data: dict[str, Any]) -> dict[int, dict[str, Any]]:
    table = (data.get("ata_smart_attributes") or {}).get("table") or []
    return {int(row["id"]): row for row in table if "id" in row}


def _raw(row: dict[str, Any] | None) -> int | None:
    if row is None:
        return None
    raw = row.get("raw") or {}
    value = raw.get("value")
    if value is None:
        return None
    # Several drives pack min/max into the upper bytes of temperature raws.
    return int(value) & 0xFFFF if row.get("id") in ATTR_TEMPERATURE else int(value)


def parse_smartctl(text: str, device: str = "") -> SmartSummary:
    """A SmartSummary from `smartctl -j -a DEVICE` output (ATA, NVMe, SCSI, USB bridges)."""
    try:
        data = json.loads(text)
    except ValueError:
        return SmartSummary(device, False, reason="smartctl printed no JSON (smartmontools older than 7.0?)")
    info = data.get("smartctl") or {}
    status = int(info.get("exit_status") or 0)
    device = (data.get("device") or {}).get("name") or device
    messages = [m.get("string", "") for m in info.get("messages") or [] if m.get("severity") == "error"]
    if status & 0x03 or "smart_status" not in data:
        reason = "; ".join(messages) or "the device gives no SMART data"
        model, serial = data.get("model_name"), data.get("serial_number")
        return SmartSummary(device, False, reason=reason, model=model, serial=serial)
    s = SmartSummary(
        device,
        True,
        protocol=(data.get("device") or {}).get("protocol"),
        model=data.get("model_name"),
        serial=data.get("serial_number"),
        healthy=bool((data.get("smart_status") or {}).get("passed")),
        temperature=(data.get("temperature") or {}).get("current"),
        power_on_hours=(data.get("power_on_time") or {}).get("hours"),
    )
    attrs = _attributes(data)
    if attrs:
        s.reallocated_sectors = _raw(attrs.get(ATTR_REALLOCATED))
        s.pending_sectors = _raw(attrs.get(ATTR_PENDING))
        s.uncorrectable_sectors = _raw(attrs.get(ATTR_UNCORRECTABLE))
        if s.power_on_hours is None:
            s.power_on_hours = _raw(attrs.get(ATTR_POWER_ON_HOURS))
        if s.temperature is None:
            s.temperature = next((_raw(attrs[i]) for i in ATTR_TEMPERATURE if i in attrs), None)
    nvme = data.get("nvme_smart_health_information_log")
    if nvme:
        s.nvme_critical_warning = int(nvme.get("critical_warning") or 0)
        s.nvme_percentage_used = nvme.get("percentage_used")
        s.nvme_media_errors = nvme.get("media_errors")
        if s.temperature is None:
            s.temperature = nvme.get("temperature")
        if s.power_on_hours is None:
            s.power_on_hours = nvme.get("power_on_hours")
    self_test = ((data.get("ata_smart_data") or {}).get("self_test") or {}).get("status") or {}
    if self_test:
        s.self_test = self_test.get("string")
        if "remaining_percent" in self_test:
            s.self_test_remaining_percent = int(self_test["remaining_percent"])
    else:
        nvme_log = data.get("nvme_self_test_log") or {}
        current = nvme_log.get("current_self_test_operation") or {}
        if current.get("value"):
            s.self_test = f"{current.get('string', 'self-test')} in progress"
            if "current_self_test_completion_percent" in nvme_log:
                s.self_test_remaining_percent = 100 - int(nvme_log["current_self_test_completion_percent"])
    s.problems = _problems(s, status)
    return s


def _problems(s: SmartSummary, status: int) -> list[str]:
    problems = []
    if s.healthy is False or status & EXIT_FAILING:
        problems.append("the drive reports that it is failing (SMART overall-health: FAILED)")
    if status & EXIT_PREFAIL:
        problems.append("a pre-failure attribute is at or below its threshold")
    if s.reallocated_sectors:
        problems.append(f"{s.reallocated_sectors} reallocated sectors")
    if s.pending_sectors:
        problems.append(f"{s.pending_sectors} sectors pending reallocation")
    if s.uncorrectable_sectors:
        problems.append(f"{s.uncorrectable_sectors} offline uncorrectable sectors")
    if s.nvme_critical_warning:
        bits = [text for bit, text in NVME_WARNINGS.items() if s.nvme_critical_warning & bit]
        problems.append("NVMe critical warning: " + ", ".join(bits or [hex(s.nvme_critical_warning)]))
    if s.nvme_media_errors:
        problems.append(f"{s.nvme_media_errors} NVMe media errors")
    return problems


def read_smart(path: str) -> SmartSummary:
    """SMART summary of one device (/dev/sda, /dev/nvme0n1).

    smartctl's JSON first; pySMART's text parser when smartctl has no JSON
    output (smartmontools before 7.0, as on older profiles).
    """
    result = run(["smartctl", "-j", "-a", path], check=False, timeout=60)
    summary = parse_smartctl(result.stdout, path)
    if not summary.available and summary.reason and "no JSON" in summary.reason:
        return read_smart_pysmart(path)
    return summary


def seam_smartctl() -> Any:
    """pySMART's smartctl runner, routed through ctsys.run (logged, timed out, mockable).

    pySMART is imported here only: it sets LANG=C for the whole process on import.
    """
    from pySMART.smartctl import Smartctl

    class SeamSmartctl(Smartctl):
        def _exec(self, cmd: list[str]) -> tuple[list[str], int]:
            result = run(cmd, check=False, timeout=60)
            return result.stdout.splitlines(), result.returncode

    return SeamSmartctl(smartctl_path="smartctl")


def _pysmart_attr(device: Any, attr_id: int) -> int | None:
    attrs = getattr(device, "attributes", None) or []
    if attr_id >= len(attrs) or attrs[attr_id] is None:
        return None
    try:
        return int(str(attrs[attr_id].raw).split()[0])
    except (ValueError, IndexError):
        return None


def read_smart_pysmart(path: str) -> SmartSummary:
    """A SmartSummary from pySMART (smartctl's human output), through the run() seam."""
    from pySMART import Device

    device = Device(path, smartctl=seam_smartctl())
    if device.name is None or not (device.smart_capable or device.interface == "nvme"):
        return SmartSummary(path, False, reason="the device gives no SMART data (pySMART)")
    s = SmartSummary(
        path,
        True,
        protocol="NVMe" if device.interface == "nvme" else "ATA" if device.interface in ("ata", "sat") else "SCSI",
        model=device.model,
        serial=device.serial,
        healthy=None if device.assessment is None else device.assessment == "PASS",
        temperature=device.temperature,
        power_on_hours=_pysmart_attr(device, ATTR_POWER_ON_HOURS),
        reallocated_sectors=_pysmart_attr(device, ATTR_REALLOCATED),
        pending_sectors=_pysmart_attr(device, ATTR_PENDING),
        uncorrectable_sectors=_pysmart_attr(device, ATTR_UNCORRECTABLE),
    )
    nvme = getattr(device, "if_attributes", None)
    if device.interface == "nvme" and nvme is not None:
        s.nvme_critical_warning = getattr(nvme, "criticalWarning", None)
        s.nvme_percentage_used = getattr(nvme, "percentageUsed", None)
        s.nvme_media_errors = getattr(nvme, "integrityErrors", None)
        s.power_on_hours = s.power_on_hours or getattr(nvme, "powerOnHours", None)
    s.problems = _problems(s, 0)
    return s


def start_self_test(path: str, kind: str) -> str:
    """Start a short or long self-test; the drive runs it in the background."""
    if kind not in ("short", "long"):
        raise CtsysError(f"unknown self-test {kind!r} (short or long)")
    result = run(["smartctl", "-j", "-t", kind, path], check=False, timeout=60)
    try:
        data = json.loads(result.stdout)
    except ValueError:
        raise CtsysError(f"smartctl could not start a {kind} self-test on {path}: {result.stderr.strip()}") from None
    status = int((data.get("smartctl") or {}).get("exit_status") or 0)
    if status & 0x07:
        messages = [m.get("string", "") for m in (data.get("smartctl") or {}).get("messages") or []]
        raise CtsysError(f"{path}: the {kind} self-test did not start: {'; '.join(messages) or 'smartctl failed'}")
    minutes = _polling_minutes(data, kind)
    if minutes is None:
        # `-t` does not always say how long the test takes; the capabilities do.
        capabilities = run(["smartctl", "-j", "-c", path], check=False, timeout=60).stdout
        try:
            minutes = _polling_minutes(json.loads(capabilities), kind)
        except ValueError:
            minutes = None
    return f"{kind} self-test started on {path}" + (f" (about {minutes} min)" if minutes else "")


def _polling_minutes(data: dict[str, Any], kind: str) -> int | None:
    test = (data.get("ata_smart_data") or {}).get("self_test") or {}
    value = (test.get("polling_minutes") or {}).get("extended" if kind == "long" else "short")
    return int(value) if value is not None else None


def as_dict(s: SmartSummary) -> dict[str, Any]:
    return {**asdict(s), "ok": s.ok}
