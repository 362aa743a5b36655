"""A real snmpd on 127.0.0.1 with the ctsys subagent serving a fixture state.

The documented values (docs/snmp.md) are read back with snmpget and snmpwalk,
v2c and v3; wrong credentials get nothing; an alert reaches snmptrapd.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ctsys.apply.render import render_module
from ctsys.config import document
from ctsys.config.store import ConfigStore
from ctsys.run import run
from ctsys.snmp.apply_modules import HOOK, MODULES
from tests.integration.snmp import lab
from tests.tools import require

pytestmark = pytest.mark.integration
PRODUCT = ".1.3.6.1.4.1.99999.1"


@pytest.fixture(scope="module", autouse=True)
def client_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The net-snmp client tools keep state (engine boots...) in a temp dir, not the host's /var/lib/snmp."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SNMP_PERSISTENT_DIR", str(tmp_path_factory.mktemp("snmp-client")))
        mp.setenv("MIBS", "")
        yield


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, document.Appliance, Path]]:
    require("snmpd", "snmpget", "snmpwalk")
    tmp = tmp_path_factory.mktemp("snmpd")
    doc = lab.lab_document(lab.free_udp_port(), lab.free_udp_port())
    proc = lab.start_snmpd(tmp, doc)
    try:
        yield doc.services.snmp.port, doc, tmp
    finally:
        lab.stop(proc)


def test_snmpget_v2c_returns_the_documented_values(agent: tuple[int, document.Appliance, Path]) -> None:
    port, _, _ = agent
    oids = {
        f"{PRODUCT}.1.3.0": 'STRING: "cam-srv-01"',  # ctApplianceHostname
        f"{PRODUCT}.1.4.0": "Timeticks: (9378400) 1 day, 2:03:04.00",  # ctApplianceUptime
        f"{PRODUCT}.1.5.0": "Gauge32: 42",  # ctApplianceLoad1, hundredths
        f"{PRODUCT}.1.10.0": "INTEGER: 48",  # ctApplianceTemperature
        f"{PRODUCT}.2.1.4.3": "INTEGER: 3",  # ctServiceState.3 (ntp) = failed
        f"{PRODUCT}.3.1.6.2": "INTEGER: 2",  # ctDiskSmartHealth.2 = failed
        f"{PRODUCT}.4.1.4.1": "INTEGER: 2",  # ctRaidState.1 = degraded
        f"{PRODUCT}.4.1.6.1": "Gauge32: 1",  # ctRaidFailedMembers.1
        f"{PRODUCT}.5.1.3.2": 'STRING: "cameras"',  # ctInterfaceRole.2
        f"{PRODUCT}.6.1.4.1": "Gauge32: 2500",  # ctCameraFps.1 = 25.00 fps
        f"{PRODUCT}.6.1.6.2": 'STRING: "2026-11-28T21:04:05Z"',  # ctCameraLastDisconnect.2
        f"{PRODUCT}.7.4.0": "Counter32: 1024000",  # ctRecorderWritten, MiB
    }
    result = run(lab.v2c(port, lab.COMMUNITY, "snmpget", *oids))
    assert lab.values(result.stdout) == oids


def test_snmpwalk_v2c_covers_every_table_in_order(agent: tuple[int, document.Appliance, Path]) -> None:
    port, _, _ = agent
    walked = lab.values(run(lab.v2c(port, lab.COMMUNITY, "snmpwalk", PRODUCT)).stdout)
    assert len(walked) == 57  # every object of the fixture state; the unknown disk temperature is absent
    assert f"{PRODUCT}.3.1.7.2" not in walked
    assert walked[f"{PRODUCT}.6.1.2.2"] == 'STRING: "parking"'
    order = list(walked)
    assert order[0] == f"{PRODUCT}.1.1.0" and order[-1] == f"{PRODUCT}.7.4.0"


def test_snmpget_v3_authpriv_returns_the_same_values(agent: tuple[int, document.Appliance, Path]) -> None:
    port, _, _ = agent
    result = run(lab.v3(port, lab.AUTH, "snmpget", f"{PRODUCT}.1.3.0", f"{PRODUCT}.6.1.2.1"))
    assert lab.values(result.stdout) == {f"{PRODUCT}.1.3.0": 'STRING: "cam-srv-01"',
                                          f"{PRODUCT}.6.1.2.1": 'STRING: "entrance"'}  # fmt: skip
    walked = lab.values(run(lab.v3(port, lab.AUTH, "snmpwalk", PRODUCT)).stdout)
    assert len(walked) == 57


def test_a_wrong_community_gets_nothing(agent: tuple[int, document.Appliance, Path]) -> None:
    port, _, _ = agent
    result = run(lab.v2c(port, "public", "snmpwalk", PRODUCT, opts=lab.QUICK), check=False)
    assert result.returncode != 0
    assert "Timeout" in result.stderr
    assert not lab.values(result.stdout)


def test_a_wrong_v3_passphrase_and_a_weaker_level_are_refused(agent: tuple[int, document.Appliance, Path]) -> None:
    port, _, _ = agent
    wrong = run(lab.v3(port, "not-the-pass", "snmpget", f"{PRODUCT}.1.3.0", opts=lab.QUICK), check=False)
    assert wrong.returncode != 0 and "Authentication failure" in wrong.stderr
    weak = ["snmpget", "-m", "", "-On", "-v3", "-u", lab.USER, "-l", "authNoPriv", "-a", "SHA", "-A", lab.AUTH,
            "-t", "0.5", "-r", "0", f"127.0.0.1:{port}", f"{PRODUCT}.1.3.0"]  # fmt: skip
    refused = run(weak, check=False)
    assert "authorizationError" in refused.stdout + refused.stderr
    assert "cam-srv-01" not in refused.stdout


def test_an_alert_reaches_snmptrapd_as_v2c_trap_and_v3_inform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require("snmptrapd", "snmptrap", "snmpinform")
    trap_port = lab.free_udp_port()
    doc = lab.lab_document(lab.free_udp_port(), trap_port)
    root = tmp_path / "root"
    store = ConfigStore(root)
    with store.locked():
        store.commit(doc, "test")
    hook = root / HOOK.lstrip("/")
    hook.parent.mkdir(parents=True)
    hook.write_text(render_module(MODULES[0], doc)[HOOK] or "")
    hook.chmod(0o755)
    # The hook runs `ctsys` from PATH, as on the appliance; here the venv's.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ['PATH']}")

    proc, log = lab.start_snmptrapd(tmp_path, trap_port)
    try:
        from ctsys.alerts import raise_alert

        _, failed = raise_alert(str(root), "camera", "cam3", "camera cam3 stopped sending video", "warning")
        assert failed == []
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and log.read_text().count(".1.3.6.1.4.1.99999.0.4") < 2:
            time.sleep(0.2)
        text = log.read_text()
    finally:
        lab.stop(proc)
    # One v2c trap and one v3 inform, each ctCameraDisconnected with the alert's objects.
    assert text.count(".1.3.6.1.4.1.99999.0.4") == 2, text
    assert text.count('.1.3.6.1.4.1.99999.1.8.2.0 = STRING: "cam3"') == 2, text
    assert ".1.3.6.1.4.1.99999.1.8.3.0 = INTEGER: 2" in text  # ctAlertSeverity warning


def test_walk_of_the_subtree_with_100_cameras_returns_every_object(tmp_path: Path) -> None:
    """The benchmark's setup as a correctness test: 100 cameras, every column walked.

    The time goal (<= 300 ms) is not asserted here: benchmarks/snmp/walk.py prints it
    (timed assertions in tests only measure how busy the machine is).
    """
    from benchmarks.snmp.walk import measure

    figures = measure(tmp_path, cameras=100, rounds=1)
    print(f"\nsnmpwalk, 100 cameras, {figures.objects} objects: {figures.walk_median * 1000:.0f} ms")
    assert figures.objects == 57 - 2 * 5 + 100 * 5  # the fixture without its 2 cameras, plus 100 of 5 columns
