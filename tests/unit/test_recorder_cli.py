from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from ctsys.camera.cli import camera
from ctsys.record.cli import record
from recorder.cli import cli as recorder_cli


def walk(group: click.Command, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    if isinstance(group, click.Group):
        for name, command in group.commands.items():
            out += walk(command, (*prefix, name))
    return out


@pytest.mark.unit
@pytest.mark.parametrize("group", [record, camera, recorder_cli])
def test_every_command_has_help(group: click.Command) -> None:
    runner = CliRunner()
    for path in walk(group):
        result = runner.invoke(group, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output


@pytest.mark.unit
def test_camera_list_reads_the_section_without_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "rec.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "state_dir": str(tmp_path / "state"),
                "volumes": [{"name": "v", "path": str(tmp_path)}],
                "cameras": [
                    {
                        "name": "door",
                        "volume": "v",
                        "streams": {"main": {"url": "rtsp://10.1.1.1/a", "username": "u", "password": "secret"}},
                    }
                ],
            }
        )
    )
    monkeypatch.setenv("CT_RECORDER_CONFIG", str(config))
    result = CliRunner().invoke(camera, ["list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows[0]["name"] == "door" and rows[0]["continuous"] == "main"
    assert "secret" not in result.output


@pytest.mark.unit
def test_recorder_check_config_names_the_bad_field(tmp_path: Path) -> None:
    config = tmp_path / "rec.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "volumes": [],
                "cameras": [{"name": "door", "volume": "missing", "streams": {"main": {"url": "rtsp://x/"}}}],
            }
        )
    )
    result = CliRunner().invoke(recorder_cli, ["--config", str(config), "check-config"])
    assert result.exit_code == 1
    assert "cameras.cameras[0].volume: no volume named 'missing'" in result.output


@pytest.mark.unit
def test_the_systemd_unit_is_a_watched_notify_service_running_the_daemon() -> None:
    import configparser

    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(Path(__file__).parents[2] / "recorder/data/ct-recorder.service")
    service = unit["Service"]
    assert service["Type"] == "notify"
    assert int(service["WatchdogSec"]) >= 10  # the main loop pings every WatchdogSec/2
    assert service["ExecStart"].split()[-1] == "run" and "ct-recorder" in service["ExecStart"]
    assert service["ExecReload"].endswith("-HUP $MAINPID")
    assert service["Restart"] == "always"
