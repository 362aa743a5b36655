"""Alerts (record + hooks) and the log commands (system log parsing, export)."""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctsys import alerts
from ctsys.cli import cli
from ctsys.journal.system_log import parse_journal_json

pytestmark = pytest.mark.unit


def hook(root: Path, name: str, body: str) -> Path:
    path = root / alerts.HOOK_DIR / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def test_alert_is_recorded_and_every_hook_gets_it(tmp_path: Path) -> None:
    out = tmp_path / "hook.out"
    hook(tmp_path, "10-first", f'echo "1 $CTSYS_ALERT_KIND $CTSYS_ALERT_SUBJECT $CTSYS_ALERT_STATE" >> {out}\n')
    hook(tmp_path, "20-second", f'echo "2 $CTSYS_ALERT_SEVERITY $CTSYS_ALERT_MESSAGE" >> {out}\n')
    alert, failed = alerts.raise_alert(str(tmp_path), "raid", "md0", "array degraded", "critical")
    assert failed == []
    assert out.read_text() == "1 raid md0 raised\n2 critical array degraded\n"
    assert alerts.recorded(str(tmp_path)) == [alert]


def test_a_failing_hook_is_reported_and_does_not_stop_the_others(tmp_path: Path) -> None:
    out = tmp_path / "hook.out"
    bad = hook(tmp_path, "10-bad", "echo broken >&2; exit 4\n")
    hook(tmp_path, "20-good", f"echo ran >> {out}\n")
    _, failed = alerts.raise_alert(str(tmp_path), "camera", "cam3", "disconnected")
    assert failed == [str(bad)] and out.read_text() == "ran\n"
    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "alert", "test"])
    assert result.exit_code == 1 and "10-bad" in result.output


def test_non_executable_files_are_not_hooks(tmp_path: Path) -> None:
    path = hook(tmp_path, "README", "exit 1\n")
    os.chmod(path, 0o644)
    assert alerts.hooks(str(tmp_path)) == []


def test_unknown_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown alert kind"):
        alerts.raise_alert(str(tmp_path), "weather", "x", "y")
    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "alert", "raise", "--kind", "weather",
                                      "--subject", "x", "--message", "y"])
    assert result.exit_code == 2


def test_alerts_are_read_from_the_journal_when_there_is_one(fake_run, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(alerts.os.path, "exists", lambda p: p == alerts.JOURNAL_SOCKET)
    entry = {
        "CTSYS_ALERT_TIME": "2026-11-28T10:00:00Z", "CTSYS_ALERT_KIND": "smart", "CTSYS_ALERT_STATE": "raised",
        "CTSYS_ALERT_SEVERITY": "critical", "CTSYS_ALERT_SUBJECT": "/dev/sdb", "CTSYS_ALERT_MESSAGE": "FAILED",
    }
    fake_run.on("journalctl", stdout=json.dumps(entry) + "\n{not json\n")
    [found] = alerts.recorded("/")
    assert (found.kind, found.subject) == ("smart", "/dev/sdb")
    assert fake_run.calls[0][-1] == "SYSLOG_IDENTIFIER=ctsys-alert"


def test_journal_json_lines_are_parsed() -> None:
    text = "\n".join(
        [
            json.dumps({"__REALTIME_TIMESTAMP": "1764324000000000", "_SYSTEMD_UNIT": "ssh.service",
                        "PRIORITY": "6", "MESSAGE": "Accepted publickey"}),
            json.dumps({"__REALTIME_TIMESTAMP": "1764324001000000", "SYSLOG_IDENTIFIER": "kernel",
                        "MESSAGE": [104, 105]}),
            "garbage",
        ]
    )
    lines = parse_journal_json(text)
    assert [(x.unit, x.message) for x in lines] == [("ssh.service", "Accepted publickey"), ("kernel", "hi")]
    assert lines[0].time == "2025-11-28T10:00:00Z"


def test_log_export_writes_csv_members_for_the_period(tmp_path: Path) -> None:
    runner = CliRunner()
    root = ["--root", str(tmp_path)]
    runner.invoke(cli, [*root, "config", "set", "system.hostname", "cam1"])
    alert = ["alert", "raise", "--kind", "disk-fill", "--subject", "/srv/ctdata/1", "--message", "91 %"]
    runner.invoke(cli, [*root, *alert])
    target = tmp_path / "export/logs.tar.gz"
    result = runner.invoke(cli, [*root, "log", "export", str(target), "--since", "2020-01-01", "--until", "2020-12-31"])
    assert result.exit_code == 0, result.output
    with tarfile.open(target) as tar:
        assert sorted(tar.getnames()) == ["actions.csv", "alerts.csv"]
        assert tar.extractfile("actions.csv").read().decode().strip() == "time,user,origin,action,result,command"  # type: ignore[union-attr]
    result = runner.invoke(cli, [*root, "log", "export", str(target), "--since", "2026-01-01"])
    with tarfile.open(target) as tar:
        alerts_csv = tar.extractfile("alerts.csv").read().decode()  # type: ignore[union-attr]
    assert "disk-fill" in alerts_csv and "/srv/ctdata/1" in alerts_csv


def test_log_export_refuses_more_than_a_year(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--root", str(tmp_path), "log", "export", str(tmp_path / "x.tgz"), "--since", "2024-01-01",
              "--until", "2025-06-01"]
    )
    assert result.exit_code == 1 and "longer than a year" in result.output
    assert not (tmp_path / "x.tgz").exists()
