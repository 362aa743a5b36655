from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml


def cameras(root: Path) -> list[dict[str, Any]]:
    doc = yaml.safe_load((root / "etc/ctsys/appliance.yaml").read_text())
    return list(doc["cameras"]["cameras"])


@pytest.mark.unit
def test_add_disable_and_remove_a_camera_edit_the_document(cli_root: Callable[..., Any], tmp_path: Path) -> None:
    result = cli_root("config", "set", "cameras.volumes", "[{name: data1, path: /srv/data1}]")
    assert result.exit_code == 0, result.output
    result = cli_root(
        "camera",
        "add",
        "gate",
        "--url",
        "rtsp://10.0.0.5/main",
        "--sub-url",
        "rtsp://10.0.0.5/sub",
        "--volume",
        "data1",
        "--alarm",
        "--pre-alarm-mb",
        "16",
        "--no-apply",
    )
    assert result.exit_code == 0, result.output
    (gate,) = cameras(tmp_path)
    assert gate["continuous"]["stream"] == "sub" and gate["alarm"]["pre_alarm_mb"] == 16
    assert cli_root("camera", "disable", "gate", "--no-apply").exit_code == 0
    assert cameras(tmp_path)[0]["enabled"] is False
    assert cli_root("camera", "remove", "gate", "--no-apply").exit_code == 0
    assert cameras(tmp_path) == []


@pytest.mark.unit
def test_a_bad_camera_is_refused_naming_the_field_and_nothing_is_written(
    cli_root: Callable[..., Any], tmp_path: Path
) -> None:
    result = cli_root("camera", "add", "gate", "--url", "rtsp://10.0.0.5/", "--volume", "nope", "--no-apply")
    assert result.exit_code == 1
    assert "cameras.cameras[0].volume: no volume named 'nope'" in result.output
    assert not (tmp_path / "etc/ctsys/appliance.yaml").exists()
    result = cli_root("camera", "remove", "ghost", "--no-apply")
    assert result.exit_code == 1 and "no camera named 'ghost'" in result.output
