from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recorder.layout import parse_name, segment_path


@pytest.mark.unit
def test_path_is_volume_camera_utc_date_and_name_carries_camera_and_start() -> None:
    path = segment_path(Path("/srv/v1"), "gate_2", "sub", "alarm", 1_795_903_566.2227)
    assert path == Path("/srv/v1/gate_2/2026-11-28/gate_2_20261128T220606.222Z_sub_alarm.mkv")
    name = parse_name(path)
    assert name is not None
    assert (name.camera, name.stream, name.kind) == ("gate_2", "sub", "alarm")
    assert abs(name.start - 1_795_903_566.222) < 1e-6


@pytest.mark.unit
@pytest.mark.parametrize(
    "name", ["notes.txt", "cam_20261128T220606Z_main_continuous.mkv", "cam_20261128T220606.222Z_main_other.mkv"]
)
def test_foreign_files_are_not_segments(name: str) -> None:
    assert parse_name(Path(name)) is None


@pytest.mark.unit
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,20}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,10}", fullmatch=True),
    st.sampled_from(["continuous", "alarm"]),
    st.integers(946_684_800_000, 4_102_444_800_000),
)
def test_names_round_trip(camera: str, stream: str, kind: str, millis: int) -> None:
    parsed = parse_name(segment_path(Path("/v"), camera, stream, kind, millis / 1000))
    assert parsed is not None
    assert (parsed.camera, parsed.stream, parsed.kind) == (camera, stream, kind)
    assert abs(parsed.start - millis / 1000) < 1e-3
