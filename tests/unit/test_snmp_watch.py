"""A stopped service or a lost camera raises one alert; its return clears it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctsys.alerts import recorded
from ctsys.config import document
from ctsys.snmp.watch import Snapshot, check

pytestmark = pytest.mark.unit


def test_transitions_raise_and_clear_alerts_once(tmp_path: Path) -> None:
    root, doc = str(tmp_path), document.defaults()
    up = Snapshot({"ct-recorder.service": "active"}, {"cam1": "recording", "cam2": "recording"})
    down = Snapshot({"ct-recorder.service": "failed"}, {"cam1": "disconnected", "cam2": "recording"})
    assert check(root, doc, up) == []  # the first check only records
    assert check(root, doc, down) == ["service ct-recorder.service: failed", "camera cam1: disconnected"]
    assert check(root, doc, down) == []
    assert check(root, doc, up) == ["service ct-recorder.service: active again", "camera cam1: back"]
    assert [(a.kind, a.state, a.subject, a.severity) for a in recorded(root)] == [
        ("service", "raised", "ct-recorder.service", "critical"),
        ("camera", "raised", "cam1", "warning"),
        ("service", "cleared", "ct-recorder.service", "info"),
        ("camera", "cleared", "cam1", "info"),
    ]


def test_unknown_states_raise_nothing(tmp_path: Path) -> None:
    """Without systemd every unit is 'unknown': no false alarm."""
    root, doc = str(tmp_path), document.defaults()
    check(root, doc, Snapshot({"nginx.service": "active"}, {}))
    assert check(root, doc, Snapshot({"nginx.service": "unknown"}, {})) == []
    assert recorded(root) == []


def test_a_watch_failure_of_the_state_file_starts_over(tmp_path: Path) -> None:
    (tmp_path / "var/lib/ctsys").mkdir(parents=True)
    (tmp_path / "var/lib/ctsys/snmp-watch.json").write_text("{torn")
    assert check(str(tmp_path), document.defaults(), Snapshot({"a.service": "failed"}, {})) == []
