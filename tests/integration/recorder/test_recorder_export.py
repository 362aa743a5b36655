"""Export: one .mkv by remux, duration within 1 s and size within 1 %, split, zip, progress."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from recorder.layout import segment_path
from tests.integration.recorder.conftest import REPO, RecorderProcess, ffprobe, ffprobe_packets_ok
from tests.integration.recorder.media import make_segments

PIECE = 10.0


@pytest.fixture
def recorded(recorder: RecorderProcess, media: dict[str, Path], tmp_path: Path) -> float:
    """Six consecutive 10 s segments (H.264 + AAC) of camera `exp`, indexed; returns T0."""
    pieces = make_segments(media["h264_aac"], tmp_path / "pieces", PIECE, 60)
    assert len(pieces) == 6
    volume = tmp_path / "data"
    t0 = float(int(time.time()) - 3600)
    for i, piece in enumerate(pieces):
        target = segment_path(volume, "exp", "main", "continuous", t0 + i * PIECE)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(piece, target)
    recorder.configure(
        recorder.section(
            [{"name": "data", "path": str(volume), "require_mount": False}],
            [{"name": "exp", "volume": "data", "streams": {"main": {"url": "rtsp://127.0.0.1:9/"}}}],
        )
    )
    assert recorder.ctsys("record", "reindex", "--json")["added"] == 6
    return t0


@pytest.mark.integration
def test_export_matches_range_duration_and_source_size(
    recorder: RecorderProcess, recorded: float, tmp_path: Path
) -> None:
    t0 = recorded
    out = tmp_path / "usb" / "export.mkv"
    # A range on segment boundaries: the export holds exactly segments 2..4.
    result = subprocess.run(
        [sys.executable, "-m", "ctsys.cli", "record", "export", "exp", str(t0 + 10), str(t0 + 40), "-o", str(out)],
        cwd=REPO,
        env=recorder.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "100.0%" in result.stderr  # progress was reported
    info = ffprobe(out)
    assert {s["codec_name"] for s in info["streams"]} == {"h264", "aac"}
    assert abs(float(info["format"]["duration"]) - 30) <= 1.0, info["format"]
    assert abs(ffprobe_packets_ok(out) - 30) <= 1.0
    rows = recorder.ctsys("record", "list", "--json")
    source = sum(r["bytes"] for r in rows if t0 + 10 <= r["start"] < t0 + 40)
    assert abs(out.stat().st_size - source) <= 0.01 * source, (out.stat().st_size, source)

    # An arbitrary range starts on the keyframe at or before its start (1 s GOP here).
    data = recorder.ctsys(
        "record", "export", "exp", str(t0 + 5.5), str(t0 + 41.2), "-o", str(tmp_path / "mid.mkv"), "--json"
    )
    assert t0 + 4.9 <= data["start"] <= t0 + 5.5
    measured = ffprobe_packets_ok(tmp_path / "mid.mkv")
    assert abs(measured - (t0 + 41.2 - data["start"])) <= 1.0, (measured, data)


@pytest.mark.integration
def test_export_splits_by_duration_and_size_and_zips(
    recorder: RecorderProcess, recorded: float, tmp_path: Path
) -> None:
    t0 = recorded
    parts = recorder.ctsys(
        "record",
        "export",
        "exp",
        str(t0),
        str(t0 + 60),
        "-o",
        str(tmp_path / "d.mkv"),
        "--split-duration",
        "25s",
        "--json",
    )
    durations = [ffprobe_packets_ok(Path(f)) for f in parts["files"]]
    assert len(durations) == 3 and all(d <= 25.3 for d in durations), durations
    assert abs(sum(durations) - 60) <= 1.0

    total = sum(r["bytes"] for r in recorder.ctsys("record", "list", "--json"))
    limit = total // 4
    parts = recorder.ctsys(
        "record",
        "export",
        "exp",
        str(t0),
        str(t0 + 60),
        "-o",
        str(tmp_path / "s.mkv"),
        "--split-size",
        str(limit),
        "--json",
    )
    sizes = [Path(f).stat().st_size for f in parts["files"]]
    assert len(sizes) >= 4 and all(s <= limit for s in sizes), (sizes, limit)

    zipped = recorder.ctsys(
        "record", "export", "exp", str(t0), str(t0 + 20), "-o", str(tmp_path / "z.mkv"), "--zip", "--json"
    )
    archive = Path(zipped["files"][0])
    assert archive.suffix == ".zip" and not (tmp_path / "z.mkv").exists()
    with zipfile.ZipFile(archive) as zf:
        assert zf.namelist() == ["z.mkv"]
        zf.extractall(tmp_path / "unzipped")
    assert abs(ffprobe_packets_ok(tmp_path / "unzipped" / "z.mkv") - 20) <= 1.0


@pytest.mark.integration
def test_export_of_a_range_without_recordings_is_a_clear_error(
    recorder: RecorderProcess, recorded: float, tmp_path: Path
) -> None:
    result = recorder.ctsys(
        "record",
        "export",
        "exp",
        str(recorded - 500),
        str(recorded - 100),
        "-o",
        str(tmp_path / "none.mkv"),
        check=False,
    )
    assert result.returncode == 1
    assert "no recording of camera exp" in result.stderr
    assert not (tmp_path / "none.mkv").exists()
