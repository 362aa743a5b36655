"""A camera that hangs mid-stream without closing its connection."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.integration.recorder.conftest import RecorderProcess, ffprobe_packets_ok, wait_for
from tests.integration.recorder.servers import FreezingProxy, RtspSimulator


@pytest.mark.integration
def test_a_stalled_camera_is_reconnected_and_the_others_keep_recording(
    recorder: RecorderProcess, rtsp: RtspSimulator, tmp_path: Path
) -> None:
    proxy = FreezingProxy(rtsp.port)
    try:
        volume = tmp_path / "data"
        volume.mkdir()
        via_proxy = f"rtsp://127.0.0.1:{proxy.port}/sub"
        recorder.configure(
            recorder.section(
                [{"name": "data", "path": str(volume), "require_mount": False}],
                [
                    {"name": "hangs", "volume": "data", "streams": {"main": {"url": via_proxy}}},
                    {"name": "fine", "volume": "data", "streams": {"main": {"url": rtsp.url("sub")}}},
                ],
            )
        )
        recorder.start()

        def complete(camera: str, since: float) -> list[dict[str, object]]:
            rows = recorder.ctsys("record", "list", "--camera", camera, "--json")
            return [r for r in rows if r["complete"] and float(r["start"]) > since]

        wait_for(lambda: complete("hangs", 0) and complete("fine", 0), 40, "both cameras recording")
        proxy.frozen.set()
        frozen_at = time.time()
        # FFmpeg's socket timeout (read_timeout_seconds: 3) notices, the stream reconnects.
        wait_for(
            lambda: any(o["camera"] == "hangs" for o in recorder.ctsys("record", "journal", "--json")),
            20,
            "the stall in the disconnection journal",
        )
        stats = recorder.stats()["cameras"]
        assert stats["hangs"]["streams"]["main"]["state"] != "connected"
        assert stats["hangs"]["streams"]["main"]["reconnects"] >= 1
        wait_for(lambda: complete("fine", frozen_at + 1), 20, "the other camera still recording")
        proxy.frozen.clear()
        thawed_at = time.time()
        wait_for(lambda: complete("hangs", thawed_at), 40, "the stalled camera recording again")
        recorder.stop()
        journal = [o for o in recorder.ctsys("record", "journal", "--json") if o["camera"] == "hangs"]
        assert journal and all(o["end"] is not None for o in journal)
        for row in recorder.ctsys("record", "list", "--json"):
            ffprobe_packets_ok(Path(row["path"]))  # the segment cut by the stall plays too
    finally:
        proxy.stop()
