"""Alerts become CT-SERVER-MIB notifications: v2c traps and v3 informs, one per manager."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctsys.config import document
from ctsys.errors import CommandError
from ctsys.snmp.notify import Event, command, notification_number, send

pytestmark = pytest.mark.unit
FIXTURES = Path(__file__).parent.parent / "fixtures"
EVENT = Event("raid", "raised", "critical", "md0", "md0 lost sdb")


def fixture() -> document.Appliance:
    return document.parse((FIXTURES / "snmp-agent.yaml").read_text())


@pytest.mark.parametrize(
    ("kind", "state", "number"),
    [("smart", "raised", 1), ("raid", "raised", 2), ("disk-fill", "raised", 3), ("camera", "raised", 4),
     ("camera", "cleared", 5), ("service", "raised", 6), ("time", "raised", 7), ("raid", "cleared", 8),
     ("test", "raised", 9)],
)  # fmt: skip
def test_each_alert_kind_maps_to_its_notification(kind: str, state: str, number: int) -> None:
    assert notification_number(Event(kind, state, "warning", "x", "y")) == number


def test_v2c_manager_gets_a_trap_with_the_alert_objects() -> None:
    doc = fixture()
    argv = command(doc, doc.snmp.managers[0], EVENT)
    assert argv[:5] == ["snmptrap", "-v", "2c", "-c", "n0c-trap"]
    assert "192.0.2.50:162" in argv
    tail = argv[argv.index(".1.3.6.1.4.1.99999.0.2") - 1 :]
    assert tail == ["", ".1.3.6.1.4.1.99999.0.2",
                    ".1.3.6.1.4.1.99999.1.8.1.0", "s", "raid",
                    ".1.3.6.1.4.1.99999.1.8.2.0", "s", "md0",
                    ".1.3.6.1.4.1.99999.1.8.3.0", "i", "1",
                    ".1.3.6.1.4.1.99999.1.8.4.0", "s", "md0 lost sdb"]  # fmt: skip


def test_v3_manager_gets_an_authpriv_inform() -> None:
    doc = fixture()
    argv = command(doc, doc.snmp.managers[1], EVENT)
    assert argv[0] == "snmpinform"
    joined = " ".join(argv)
    assert "-v 3 -u nms -l authPriv -a SHA -A auth-pass-123 -x AES -X priv-pass-456" in joined
    assert "192.0.2.51:10162" in argv


def test_one_unreachable_manager_does_not_stop_the_others(fake_run) -> None:  # type: ignore[no-untyped-def]
    fake_run.raise_on("snmptrap", exc=CommandError("snmptrap ...", 1, "Timeout"))
    failed = send(fixture(), EVENT)
    assert failed == ["192.0.2.50"]
    assert [c[0] for c in fake_run.calls] == ["snmptrap", "snmpinform"]


def test_nothing_is_sent_while_snmp_is_off(fake_run) -> None:  # type: ignore[no-untyped-def]
    data = document.to_data(fixture())
    data["services"]["snmp"]["enabled"] = False
    assert send(document.validate(data), EVENT) == []
    assert fake_run.calls == []


def test_the_event_comes_from_the_alert_environment() -> None:
    env = {"CTSYS_ALERT_KIND": "time", "CTSYS_ALERT_SUBJECT": "chrony", "CTSYS_ALERT_MESSAGE": "lost sync",
           "CTSYS_ALERT_SEVERITY": "warning", "CTSYS_ALERT_STATE": "raised"}  # fmt: skip
    assert Event.from_environment(env) == Event("time", "raised", "warning", "chrony", "lost sync")


def test_an_ipv6_manager_is_addressed_over_udp6() -> None:
    doc = fixture()
    manager = doc.snmp.managers[0].model_copy(update={"host": "2001:db8::5"})
    assert "udp6:[2001:db8::5]:162" in command(doc, manager, EVENT)
