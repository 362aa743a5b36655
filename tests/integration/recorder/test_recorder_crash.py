"""SIGKILL mid-segment, restart: the index matches the files, at most ~2 s are lost."""

from __future__ import annotations

import itertools
import signal
import socket
import time
from pathlib import Path

import pytest
import yaml

from tests.integration.recorder.conftest import RecorderProcess, ffprobe_packets_ok, wait_for
from tests.integration.recorder.servers import RtspSimulator


def rows_by_path(recorder: RecorderProcess) -> dict[str, dict[str, object]]:
    return {r["path"]: r for r in recorder.ctsys("record", "list", "--json")}


@pytest.mark.integration
def test_sigkill_loses_at_most_two_seconds_and_restart_resumes_without_duplicates(
    recorder: RecorderProcess, rtsp: RtspSimulator, tmp_path: Path
) -> None:
    volume = tmp_path / "data"
    volume.mkdir()
    recorder.configure(
        recorder.section(
            [{"name": "data", "path": str(volume), "require_mount": False}],
            [{"name": "cam", "volume": "data", "streams": {"main": {"url": rtsp.url("main")}}}],
            segment_seconds=8,
        )
    )
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify.sock"))
    notify.settimeout(20)
    try:
        recorder.start({"NOTIFY_SOCKET": str(tmp_path / "notify.sock"), "WATCHDOG_USEC": "2000000"})
        messages = {notify.recv(256).decode() for _ in range(3)}
    finally:
        notify.close()
    # READY once the cameras started, then WATCHDOG=1 from the main loop (every 1 s here).
    assert {"READY=1", "WATCHDOG=1"} <= messages

    def second_segment_half_written() -> dict[str, object] | None:
        rows = sorted(rows_by_path(recorder).values(), key=lambda r: r["start"])
        if (
            len(rows) >= 2
            and rows[0]["complete"]
            and not rows[-1]["complete"]
            and time.time() - rows[-1]["start"] > 4.5
        ):
            return rows[-1]
        return None

    victim = wait_for(second_segment_half_written, 40, "a second segment 4.5 s into writing")
    recorder.stop(signal.SIGKILL)
    killed_at = time.time()

    # The killed segment is playable and holds all but the last ~2 s.
    written = ffprobe_packets_ok(Path(str(victim["path"])))
    lost = killed_at - float(victim["start"]) - written  # type: ignore[arg-type]
    print(f"SIGKILL lost {lost:.2f} s of the segment being written")
    assert lost <= 2.5, f"lost {lost:.2f} s"
    before = rows_by_path(recorder)
    assert not before[str(victim["path"])]["complete"]

    recorder.start()
    wait_for(
        lambda: sum(1 for r in rows_by_path(recorder).values() if r["complete"] and r["start"] > killed_at) >= 1,
        40,
        "a complete segment after the restart",
    )
    # SIGHUP reloads: a new camera starts, the unchanged one keeps its connection.
    connected = recorder.stats()["cameras"]["cam"]["streams"]["main"]["connected_since"]
    section = yaml.safe_load(recorder.config_path.read_text())
    section["cameras"].append({"name": "late", "volume": "data", "streams": {"main": {"url": rtsp.url("sub")}}})
    recorder.configure(section)
    assert recorder.proc is not None
    recorder.proc.send_signal(signal.SIGHUP)
    wait_for(
        lambda: any(r["camera"] == "late" and r["complete"] for r in rows_by_path(recorder).values()),
        40,
        "the camera added by a reload recording",
    )
    assert recorder.stats()["cameras"]["cam"]["streams"]["main"]["connected_since"] == connected
    recorder.stop()

    after = rows_by_path(recorder)
    files = {str(p) for p in volume.rglob("*.mkv")}
    assert set(after) == files  # no lost row, no row without a file
    assert all(r["complete"] for r in after.values())
    assert set(before) <= set(after)
    finished = after[str(victim["path"])]
    assert abs(float(finished["end"]) - float(finished["start"]) - written) < 0.3  # type: ignore[arg-type]
    # No two segments of the camera overlap (a duplicate would).
    spans = sorted((float(r["start"]), float(r["end"])) for r in after.values() if r["camera"] == "cam")  # type: ignore[arg-type]
    for (_, e1), (s2, _) in itertools.pairwise(spans):
        assert s2 >= e1 - 0.2, spans

    # The index rebuilt from the files alone says the same.
    for suffix in ("", "-wal", "-shm"):
        Path(f"{recorder.state_dir / 'index.sqlite'}{suffix}").unlink(missing_ok=True)
    report = recorder.ctsys("record", "reindex", "--json")
    assert report["added"] == len(files) and not report["unreadable"]
    rebuilt = rows_by_path(recorder)
    assert set(rebuilt) == set(after)
    for path, row in rebuilt.items():
        assert abs(float(row["start"]) - float(after[path]["start"])) < 0.002  # type: ignore[arg-type]
        assert abs(float(row["end"]) - float(after[path]["end"])) < 0.3, (row, after[path])  # type: ignore[arg-type]
