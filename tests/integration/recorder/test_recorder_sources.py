"""Every kind of source recorded at once, next to hostile ones that must not disturb them."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.recorder.conftest import (
    AUTH_PASSWORD,
    AUTH_USER,
    RecorderProcess,
    ffprobe,
    ffprobe_packets_ok,
    wait_for,
)
from tests.integration.recorder.servers import HostilePeer, MediaServer, RtspSimulator

SEGMENT = 3.0


def camera(name: str, url: str, **extra: object) -> dict[str, object]:
    return {"name": name, "volume": "data", "streams": {"main": {"url": url, **extra}}}


@pytest.mark.integration
def test_records_rtsp_mjpeg_and_survives_hostile_streams(
    recorder: RecorderProcess,
    rtsp: RtspSimulator,
    http_media: MediaServer,
    hostile: dict[str, HostilePeer],
    rtsp_auth: RtspSimulator,
    tmp_path: Path,
) -> None:
    volume = tmp_path / "data"
    volume.mkdir()
    good = {
        "tcp": camera("tcp", rtsp.url("main"), transport="tcp"),
        "udp": camera("udp", rtsp.url("sub"), transport="udp"),
        "tunnel": camera("tunnel", rtsp.url("sub"), transport="http"),
        "hevc": camera("hevc", rtsp.url("hevc")),
        "mjpeg": camera("mjpeg", f"{http_media.base}/mjpeg"),
        "g711": camera("g711", rtsp.url("g711")),
        "auth": camera("auth", rtsp_auth.url("main"), username=AUTH_USER, password=AUTH_PASSWORD),
    }
    expected_codec = {
        "tcp": "h264",
        "udp": "h264",
        "tunnel": "h264",
        "hevc": "hevc",
        "mjpeg": "mjpeg",
        "g711": "h264",
        "auth": "h264",
    }
    hostile_cams = {
        "garbage": camera("garbage", f"rtsp://127.0.0.1:{hostile['garbage'].port}/x"),
        "stall": camera("stall", f"rtsp://127.0.0.1:{hostile['stall'].port}/x"),
        "flip": camera("flip", rtsp.url("flip")),  # codec changes on every reconnect
        "badpass": camera("badpass", rtsp_auth.url("main"), username=AUTH_USER, password="wrong"),
        "tsback": camera("tsback", f"{http_media.base}/back.ts", mjpeg=False),
    }
    # Continuous from the sub stream, alarm from the main stream, simultaneously.
    dual = {
        "name": "dual",
        "volume": "data",
        "streams": {"main": {"url": rtsp.url("main")}, "sub": {"url": rtsp.url("sub")}},
        "continuous": {"stream": "sub"},
        "alarm": {"stream": "main", "pre_alarm_mb": 2, "post_alarm_seconds": 2},
    }
    recorder.configure(
        recorder.section(
            [{"name": "data", "path": str(volume), "require_mount": False}],
            [*good.values(), *hostile_cams.values(), dual],
            segment_seconds=SEGMENT,
        )
    )
    recorder.start()

    def all_recording() -> bool:
        rows = recorder.ctsys("record", "list", "--json")
        complete = {r["camera"] for r in rows if r["complete"]}
        return set(good) | {"flip", "dual"} <= complete

    wait_for(all_recording, 40, "a complete segment from every good camera")
    trigger_time = time.time()
    recorder.ctsys("record", "trigger", "dual")
    time.sleep(SEGMENT + 3)  # the alarm (2 s after the trigger) ends and its segment closes
    stats = recorder.stats()
    assert recorder.alive(), recorder.log_text()
    recorder.stop()

    # Every segment plays and carries the camera's codec; the index matches the files.
    rows = recorder.ctsys("record", "list", "--json")
    files = sorted(str(p) for p in volume.rglob("*.mkv"))
    assert sorted(r["path"] for r in rows) == files
    assert all(r["complete"] for r in rows)
    for row in rows:
        info = ffprobe(Path(row["path"]))
        codecs = {s["codec_type"]: s["codec_name"] for s in info["streams"]}
        if row["camera"] in expected_codec:
            assert codecs["video"] == expected_codec[row["camera"]], row
        measured = ffprobe_packets_ok(Path(row["path"]))
        assert abs(measured - (row["end"] - row["start"])) < 0.35, (row, measured)
        assert row["end"] - row["start"] < SEGMENT + 1.2, row
    tcp_rows = [r for r in rows if r["camera"] == "tcp"]
    assert {s["codec_type"] for s in ffprobe(Path(tcp_rows[0]["path"]))["streams"]} == {"video", "audio"}
    g711 = next(r for r in rows if r["camera"] == "g711")
    # G.711 is kept as the same samples in 16-bit PCM: Matroska (via PyAV) has no G.711 id.
    assert [s["codec_name"] for s in ffprobe(Path(g711["path"]))["streams"]] == ["h264", "pcm_s16le"]
    # Full segments are cut at the target length (keyframe every second, tolerance).
    full = [r for r in tcp_rows[:-1] if r["kind"] == "continuous"]
    assert full and all(abs(r["end"] - r["start"] - SEGMENT) <= 0.3 for r in full[1:]), full

    # The codec change gave segments of both codecs.
    flip_codecs = {ffprobe(Path(r["path"]))["streams"][0]["codec_name"] for r in rows if r["camera"] == "flip"}
    assert flip_codecs == {"h264", "hevc"}

    # Continuous from sub, alarm from main, with pre-alarm before the trigger.
    dual_rows = [r for r in rows if r["camera"] == "dual"]
    assert {(r["kind"], r["stream"]) for r in dual_rows} == {("continuous", "sub"), ("alarm", "main")}
    alarm_rows = [r for r in dual_rows if r["kind"] == "alarm"]
    assert min(r["start"] for r in alarm_rows) < trigger_time - 1.0  # pre-alarm buffer
    assert max(r["end"] for r in alarm_rows) >= trigger_time + 1.5  # post-alarm

    # Hostile sources are journaled and reconnected; they never stopped the others.
    journal = recorder.ctsys("record", "journal", "--json")
    lost = {o["camera"] for o in journal}
    assert {"garbage", "stall", "badpass"} <= lost
    assert not any(r["camera"] == "badpass" for r in rows)
    assert any("401" in o["reason"] for o in journal if o["camera"] == "badpass")
    # Credentials never reach the logs, the journal or the statistics.
    for text in (recorder.log_text(), json.dumps(journal), json.dumps(stats)):
        assert AUTH_PASSWORD not in text and "wrong" not in text
    assert hostile["garbage"].connections >= 2 and hostile["stall"].connections >= 1
    cams = stats["cameras"]
    assert cams["stall"]["streams"]["main"]["state"] != "connected"
    for name in good:
        stream = cams[name]["streams"]["main"]
        assert stream["state"] == "connected", (name, stream)
        assert 7 <= stream["fps"] <= 13, (name, stream)
        if name != "mjpeg":
            assert stream["gop_frames"] == 10, (name, stream)
    # The backwards-jumping stream still produced playable, monotonic segments.
    tsback = [r for r in rows if r["camera"] == "tsback"]
    assert tsback
    for row in tsback:  # every frame decodes, across the resolution change too
        decoded = subprocess.run(
            ["ffmpeg", "-v", "error", "-i", row["path"], "-f", "null", "-"], capture_output=True, text=True, timeout=60
        )
        assert decoded.returncode == 0 and not decoded.stderr.strip(), (row["path"], decoded.stderr)
