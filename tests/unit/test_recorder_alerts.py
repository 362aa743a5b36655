"""The recorder reports alerts through the hook it is given; ctsys's entry point gives it ctsys.alerts.

And the recorder package imports nothing of ctsys: the cameras section's schema
is its own (recorder/schema.py), ctsys composes it into the document.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from recorder.config import parse
from recorder.daemon import AlertEvent, AlertHook, Recorder

pytestmark = pytest.mark.unit
REPO = Path(__file__).resolve().parents[2]


def recorder(alert_hook: AlertHook | None = None) -> Recorder:
    return Recorder(parse({"state_dir": "/nonexistent"}), None, alert_hook)


def test_alerts_go_to_the_hook_the_daemon_was_given_and_into_the_statistics() -> None:
    events: list[AlertEvent] = []
    daemon = recorder(alert_hook=events.append)
    daemon._alert("volume data1", "not mounted", kind="volume", subject="data1", severity="critical")
    daemon._alert("camera gate/main", "recording again", kind="camera", severity="info", state="cleared")
    assert events == [
        AlertEvent("volume", "data1", "not mounted", "critical", "raised"),
        AlertEvent("camera", "camera gate/main", "recording again", "info", "cleared"),
    ]
    assert [(a.source, a.message) for a in daemon.alerts] == [
        ("volume data1", "not mounted"), ("camera gate/main", "recording again")]


def test_a_failing_hook_or_none_never_stops_recording() -> None:
    def broken(event: AlertEvent) -> None:
        raise RuntimeError("hook down")

    recorder(alert_hook=broken)._alert("config", "reload refused")
    daemon = recorder()
    daemon._alert("config", "reload refused")
    assert [a.message for a in daemon.alerts] == ["reload refused"]


def test_the_appliance_entry_point_raises_them_as_ctsys_alerts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ctsys.record.service import raise_recorder_alert

    monkeypatch.setenv("CT_RECORDER_ALERT_ROOT", str(tmp_path))
    raise_recorder_alert(AlertEvent("volume", "data1", "not mounted", "critical"))
    (line,) = (tmp_path / "var/log/ctsys/alerts.jsonl").read_text().splitlines()
    alert = json.loads(line)
    assert (alert["kind"], alert["subject"], alert["severity"], alert["state"]) == (
        "volume", "data1", "critical", "raised")


def test_the_recorder_package_imports_nothing_of_ctsys() -> None:
    found = []
    for path in sorted((REPO / "recorder").glob("**/*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [f"{path.relative_to(REPO)}: {n}" for n in names if n.split(".")[0] == "ctsys"]
    assert found == []
