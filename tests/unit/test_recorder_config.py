from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ctsys.config import document
from ctsys.errors import ValidationError
from recorder.config import ConfigError, load, parse

SECTION: dict[str, Any] = {
    "state_dir": "/var/lib/ct-recorder",
    "volumes": [{"name": "data1", "path": "/srv/data1"}],
    "cameras": [
        {
            "name": "gate",
            "volume": "data1",
            "retention_days": 14,
            "streams": {
                "main": {"url": "rtsp://10.0.0.5/h264", "username": "op", "password": "p@ss:w/rd"},
                "sub": {"url": "rtsp://10.0.0.5/sub", "transport": "udp"},
            },
            "continuous": {"stream": "sub", "schedule": {"mon": ["08:00-18:00"]}},
            "alarm": {"stream": "main", "pre_alarm_mb": 16, "post_alarm_seconds": 20},
        }
    ],
}


@pytest.mark.unit
def test_a_full_section_parses() -> None:
    config = parse(SECTION)
    gate = config.cameras["gate"]
    assert gate.continuous is not None and gate.continuous.stream == "sub"
    assert gate.alarm is not None and gate.alarm.pre_alarm_mb == 16
    assert gate.recorded_streams() == ["sub", "main"]
    assert config.volumes["data1"].require_mount is True
    assert config.segment_seconds == 60


@pytest.mark.unit
def test_credentials_are_quoted_into_the_url_and_kept_out_of_logs() -> None:
    main = parse(SECTION).cameras["gate"].streams["main"]
    assert main.open_url() == "rtsp://op:p%40ss%3Aw%2Frd@10.0.0.5/h264"
    assert main.safe_url() == "rtsp://10.0.0.5/h264"


@pytest.mark.unit
@pytest.mark.parametrize(
    ("change", "path", "reason"),
    [
        (lambda s: s["cameras"][0].update(volume="nope"), "cameras.cameras[0].volume", "no volume"),
        (lambda s: s["cameras"][0]["alarm"].update(pre_alarm_mb=1), "pre_alarm_mb", "outside 2..128"),
        (lambda s: s["cameras"][0]["alarm"].update(stream="third"), "alarm.stream", "no stream"),
        (lambda s: s["cameras"][0]["streams"]["main"].update(url="ftp://x"), "main.url", "scheme"),
        (lambda s: s["cameras"][0]["streams"]["sub"].update(transport="sctp"), "transport", "sctp"),
        (lambda s: s["cameras"][0].update(name="bad name"), "cameras[0].name", "is not a name"),
        (lambda s: s["cameras"].append(dict(s["cameras"][0])), "cameras[1].name", "duplicate"),
        (lambda s: s["cameras"][0]["streams"].update(x_y={"url": "rtsp://a/"}), "streams", "stream"),
    ],
)
def test_errors_name_the_field(change: Any, path: str, reason: str) -> None:
    section = yaml.safe_load(yaml.safe_dump(SECTION))
    change(section)
    with pytest.raises(ConfigError) as info:
        parse(section)
    assert path in info.value.path and reason in info.value.reason


@pytest.mark.unit
def test_the_appliance_document_section_and_the_daemon_agree(tmp_path: Path) -> None:
    doc = document.validate({"cameras": SECTION})
    text = document.dump(doc)  # what /etc/ctsys/appliance.yaml holds, nulls included
    path = tmp_path / "appliance.yaml"
    path.write_text(text)
    config = load(path)
    assert config == parse(SECTION)


@pytest.mark.unit
def test_the_document_refuses_what_the_daemon_refuses_naming_the_field() -> None:
    section = yaml.safe_load(yaml.safe_dump(SECTION))
    section["cameras"][0]["continuous"]["schedule"] = {"mon": ["08:05-09:00"]}
    with pytest.raises(ValidationError) as info:
        document.validate({"cameras": section})
    assert info.value.problems[0][0] == "cameras.cameras[0].continuous.schedule"
    assert "quarter hour" in info.value.problems[0][1]
