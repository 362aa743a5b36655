"""Disk full, a vanishing volume, retention, proportional purge, protected ranges, deletion."""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from recorder.layout import segment_path
from tests.integration.recorder.conftest import RecorderProcess, ffprobe_packets_ok, wait_for
from tests.integration.recorder.media import make_segments
from tests.integration.recorder.servers import RtspSimulator

HOUR = 3600.0


def complete_after(recorder: RecorderProcess, camera: str, since: float) -> list[dict[str, object]]:
    return [
        r
        for r in recorder.ctsys("record", "list", "--camera", camera, "--json")
        if r["complete"] and float(r["start"]) > since
    ]  # type: ignore[arg-type]


@pytest.mark.integration
def test_disk_full_never_crashes_and_recording_resumes_when_space_returns(
    recorder: RecorderProcess, rtsp: RtspSimulator, loop_fs: Callable[[int], Path], tmp_path: Path
) -> None:
    full = loop_fs(8)
    other = tmp_path / "other"
    other.mkdir()
    st = os.statvfs(full)
    filler = full / "filler"
    with open(filler, "wb") as f:  # leave ~150 KB: the first segment hits ENOSPC
        f.write(b"\0" * (st.f_bavail * st.f_frsize - 150 * 1024))
    recorder.configure(
        recorder.section(
            [
                {"name": "full", "path": str(full), "fill_threshold_percent": 99.9},
                {"name": "other", "path": str(other), "require_mount": False},
            ],
            [
                {"name": "a", "volume": "full", "streams": {"main": {"url": rtsp.url("main")}}},
                {"name": "b", "volume": "other", "streams": {"main": {"url": rtsp.url("sub")}}},
            ],
        )
    )
    started = time.time()
    recorder.start()

    def disk_full_seen() -> bool:
        rec = recorder.stats()["cameras"]["a"]["recording"]["continuous"]
        return rec["errors"] > 0 and "space" in rec["last_error"].lower()

    wait_for(disk_full_seen, 40, "camera a to hit ENOSPC")
    time.sleep(4)  # several retries against a full disk
    assert recorder.alive(), recorder.log_text()
    assert complete_after(recorder, "b", started), "the other volume's camera kept recording"
    filler.unlink()
    freed_at = time.time()
    rows = wait_for(lambda: complete_after(recorder, "a", freed_at), 30, "camera a recording again once space is back")
    ffprobe_packets_ok(Path(str(rows[0]["path"])))
    recorder.stop()
    # Whatever was cut short by ENOSPC is indexed and readable, or was removed.
    for row in recorder.ctsys("record", "list", "--camera", "a", "--json"):
        assert Path(row["path"]).exists()
        assert row["complete"]


@pytest.mark.integration
def test_vanished_volume_stops_only_its_cameras_and_raises_an_alert(
    recorder: RecorderProcess, rtsp: RtspSimulator, tmp_path: Path
) -> None:
    v1, v2 = tmp_path / "v1", tmp_path / "v2"
    v1.mkdir()
    v2.mkdir()
    recorder.configure(
        recorder.section(
            [
                {"name": "v1", "path": str(v1), "require_mount": False},
                {"name": "v2", "path": str(v2), "require_mount": False},
            ],
            [
                {"name": "a", "volume": "v1", "streams": {"main": {"url": rtsp.url("sub")}}},
                {"name": "b", "volume": "v2", "streams": {"main": {"url": rtsp.url("sub")}}},
                # Outside its continuous schedule: only alarms are recorded.
                {
                    "name": "sched",
                    "volume": "v1",
                    "streams": {"main": {"url": rtsp.url("sub")}},
                    "continuous": {"schedule": "never"},
                    "alarm": {"post_alarm_seconds": 1, "pre_alarm_mb": 2},
                },
            ],
        )
    )
    recorder.start()
    wait_for(lambda: complete_after(recorder, "b", 0), 40, "camera b recording")
    # The GET form of the alarm input, for cameras that can only call a URL.
    with urllib.request.urlopen(f"http://127.0.0.1:{recorder.port}/api/alarm?camera=sched", timeout=5) as reply:
        assert json.loads(reply.read())["camera"] == "sched"
    v2.rename(tmp_path / "v2-gone")
    gone_at = time.time()
    stats = wait_for(
        lambda: (s := recorder.stats()) and not s["volumes"]["v2"]["ok"] and s, 15, "volume v2 reported missing"
    )
    assert any("v2" in a["source"] for a in stats["alerts"])
    time.sleep(4)
    assert not recorder.stats()["cameras"]["b"]["recording"]["continuous"]["active"]
    assert complete_after(recorder, "a", gone_at + 1), "camera a on v1 kept recording"
    assert not v2.exists(), "nothing was written into a new directory at the old path"
    (tmp_path / "v2-gone").rename(v2)
    back_at = time.time()
    wait_for(lambda: complete_after(recorder, "b", back_at), 30, "camera b resumed")
    recorder.stop()
    kinds = {r["kind"] for r in recorder.ctsys("record", "list", "--camera", "sched", "--json")}
    assert kinds == {"alarm"}, kinds
    # The appliance's alert hooks heard it go and come back.
    alerts = [json.loads(line) for line in (tmp_path / "var/log/ctsys/alerts.jsonl").read_text().splitlines()]
    volume_alerts = [(a["subject"], a["state"]) for a in alerts if a["kind"] == "volume"]
    assert volume_alerts == [("v2", "raised"), ("v2", "cleared")]


def plant(pieces: list[Path], volume: Path, camera: str, starts: list[float]) -> None:
    for i, start in enumerate(starts):
        target = segment_path(volume, camera, "main", "continuous", start)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pieces[i % len(pieces)], target)


@pytest.fixture
def pieces(media: dict[str, Path], tmp_path: Path) -> list[Path]:
    return make_segments(media["h264"], tmp_path / "pieces", 2, 20)


@pytest.mark.integration
def test_fill_purge_is_proportional_to_retention_and_spares_protected_ranges(
    recorder: RecorderProcess, pieces: list[Path], loop_fs: Callable[[int], Path]
) -> None:
    volume = loop_fs(24)
    now = time.time()
    # Camera a keeps 2 days, b 1 day: one segment an hour for a, every half hour for b.
    a_starts = [now - (k + 1) * HOUR for k in range(46)]
    b_starts = [now - (k + 1) * HOUR / 2 for k in range(46)]
    plant(pieces, volume, "a", a_starts)
    plant(pieces, volume, "b", b_starts)
    plant(pieces, volume, "b", [now - 30 * HOUR])  # beyond b's retention: expires
    # A camera no longer configured: retention never removes it, but under disk pressure
    # it counts with the longest retention, so 100 h old it is the relatively oldest.
    plant(pieces, volume, "gone", [now - 100 * HOUR])
    st = os.statvfs(volume)
    used = 100 * (1 - st.f_bavail / st.f_blocks)
    threshold = used * 0.7  # force a purge of about 40 % of the recordings
    recorder.configure(
        recorder.section(
            [
                {
                    "name": "data",
                    "path": str(volume),
                    "fill_threshold_percent": round(threshold, 2),
                    "purge_target_percent": round(threshold - 3, 2),
                }
            ],
            [
                {
                    "name": "a",
                    "volume": "data",
                    "retention_days": 2,
                    "streams": {"main": {"url": "rtsp://127.0.0.1:9/a"}},
                },
                {
                    "name": "b",
                    "volume": "data",
                    "retention_days": 1,
                    "streams": {"main": {"url": "rtsp://127.0.0.1:9/b"}},
                },
            ],
        )
    )
    assert recorder.ctsys("record", "reindex", "--json")["added"] == 94
    oldest_a = min(a_starts)
    protect = recorder.ctsys(
        "record", "protect", "add", "a", str(oldest_a - 1), str(oldest_a + 2.5 * HOUR), "--note", "incident", "--json"
    )
    assert protect["id"]

    report = recorder.ctsys("record", "purge", "--json")["data"]
    assert report["expired"] == 1 and report["filled"] > 20, report
    st = os.statvfs(volume)
    assert 100 * (1 - st.f_bavail / st.f_blocks) <= threshold - 3 + 0.5

    rows = recorder.ctsys("record", "list", "--json")
    left = {cam: [now - float(r["start"]) for r in rows if r["camera"] == cam] for cam in ("a", "b", "gone")}
    assert len(left["gone"]) == 0
    # The protected oldest three hours of a (46, 45, 44 h old) survive the purge.
    assert sum(1 for age in left["a"] if age > 43.5 * HOUR) == 3
    unprotected_a = [age for age in left["a"] if age < 43.5 * HOUR]
    # Each camera keeps the same fraction of its retention: a twice b's history.
    ratio = max(unprotected_a) / max(left["b"])
    print(f"purge kept a {max(unprotected_a) / HOUR:.1f} h of 48, b {max(left['b']) / HOUR:.1f} h of 24")
    assert 1.8 <= ratio <= 2.2, ratio

    # Manual deletion: b before 5 h ago; protected ranges are kept by deletion too.
    deleted = recorder.ctsys("record", "delete", "--camera", "b", "--before", "-5h", "--yes", "--json")
    assert deleted["deleted"] > 0
    rows = recorder.ctsys("record", "list", "--camera", "b", "--json")
    assert rows and all(now - float(r["end"]) < 5 * HOUR + 1 for r in rows)
    deleted = recorder.ctsys("record", "delete", "--camera", "a", "--yes", "--json")
    assert deleted["protected_kept"] == 3
    assert len(recorder.ctsys("record", "list", "--camera", "a", "--json")) == 3
