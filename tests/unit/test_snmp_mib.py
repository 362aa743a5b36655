"""CT-SERVER-MIB: smilint -l 3 finds nothing; snmptranslate loads it; the subagent agrees with it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ctsys.errors import CommandError
from ctsys.run import run
from ctsys.snmp.state import State
from ctsys.snmp.tree import rows
from tests.tools import require

pytestmark = pytest.mark.unit
MIBS = Path(__file__).resolve().parents[2] / "ctsys/snmp/mibs"
MIB = MIBS / "CT-SERVER-MIB.txt"
ENV = {**os.environ, "SMIPATH": str(MIBS / "base")}


def test_the_mib_passes_smilint_level_3() -> None:
    require("smilint")
    result = run(["smilint", "-l", "3", str(MIB)], env=ENV)
    assert result.stdout + result.stderr == ""


def test_smilint_would_catch_a_broken_mib(tmp_path: Path) -> None:
    require("smilint")
    broken = tmp_path / "CT-SERVER-MIB.txt"
    broken.write_text(MIB.read_text().replace("ctCameraBitrate OBJECT-TYPE\n    SYNTAX      Gauge32",
                                              "ctCameraBitrate OBJECT-TYPE\n    SYNTAX      Gauge33"))  # fmt: skip
    result = run(["smilint", "-l", "3", str(broken)], env=ENV, check=False)
    assert "Gauge33" in result.stdout + result.stderr


def _translate(name: str) -> str:
    # A private persistent dir: snmptranslate would create /var/lib/snmp/cert_indexes on the host.
    env = {**os.environ, "SNMP_PERSISTENT_DIR": "/tmp/ctsys-test-snmp", "SNMPCONFPATH": "/nonexistent"}
    argv = ["snmptranslate", "-M", f"{MIBS / 'base'}:{MIBS}", "-m", "CT-SERVER-MIB", "-On", f"CT-SERVER-MIB::{name}"]
    return run(argv, env=env).stdout.strip()


@pytest.mark.parametrize(
    ("name", "oid"),
    [
        ("ctApplianceHostname", ".1.3.6.1.4.1.99999.1.1.3"),
        ("ctServiceState", ".1.3.6.1.4.1.99999.1.2.1.4"),
        ("ctDiskSmartHealth", ".1.3.6.1.4.1.99999.1.3.1.6"),
        ("ctRaidFailedMembers", ".1.3.6.1.4.1.99999.1.4.1.6"),
        ("ctInterfaceRole", ".1.3.6.1.4.1.99999.1.5.1.3"),
        ("ctCameraLastDisconnect", ".1.3.6.1.4.1.99999.1.6.1.6"),
        ("ctRecorderWritten", ".1.3.6.1.4.1.99999.1.7.4"),
        ("ctAlertSubject", ".1.3.6.1.4.1.99999.1.8.2"),
        ("ctCameraDisconnected", ".1.3.6.1.4.1.99999.0.4"),
        ("ctTimeSyncLost", ".1.3.6.1.4.1.99999.0.7"),
    ],
)
def test_snmptranslate_loads_the_mib_and_agrees_with_the_subagent(name: str, oid: str) -> None:
    require("snmptranslate")
    assert _translate(name) == oid


def test_an_unknown_name_is_not_in_the_mib() -> None:
    require("snmptranslate")
    with pytest.raises(CommandError):
        _translate("ctNoSuchObject")


def test_every_served_column_is_defined_in_the_mib() -> None:
    """Each object the subagent serves has an OBJECT-TYPE at that OID (by smidump's tree)."""
    require("smidump")
    tree = run(["smidump", "-f", "identifiers", str(MIB)], env=ENV).stdout
    defined = {line.split()[-1] for line in tree.splitlines() if "column" in line or "scalar" in line}
    from ctsys.snmp.state import CameraInfo, DiskInfo, InterfaceInfo, RaidInfo, ServiceInfo

    full = State(services=[ServiceInfo("a", "a.service")], disks=[DiskInfo("sda", temperature_celsius=30)],
                 raids=[RaidInfo("md0")], cameras=[CameraInfo("c")])  # fmt: skip
    full.appliance.temperature_celsius = 40
    full.interfaces = [InterfaceInfo("eth0")]
    served = {"1.3.6.1.4.1.99999.1." + ".".join(map(str, r.oid[:-1])) for r in rows(full)}
    assert len(served) == 10 + 3 + 6 + 5 + 4 + 5 + 4  # every scalar and column
    assert served <= defined, served - defined
