"""Fixtures for the recorder's integration tier: real media, a real RTSP server, the daemon."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.recorder.media import make_media
from tests.integration.recorder.servers import (
    HostilePeer,
    MediaServer,
    RtspSimulator,
    free_port,
)
from tests.tools import require

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    require("ffmpeg", "ffprobe")
    return make_media(tmp_path_factory.mktemp("media"))


@pytest.fixture(scope="session")
def rtsp(media: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RtspSimulator]:
    if not os.path.exists("/usr/bin/python3"):
        pytest.fail("/usr/bin/python3 with python3-gi and gir1.2-gst-rtsp-server-1.0 is needed")
    log = tmp_path_factory.mktemp("rtsp") / "rtsp.log"
    server = RtspSimulator(
        {
            "main": f"{media['h264_aac']}:h264:audio",
            "sub": f"{media['h264']}:h264",
            "g711": f"{media['h264_pcmu']}:h264:pcmu",
            "hevc": f"{media['h265']}:h265",
            "flip": f"{media['short_h264']}:h264,{media['short_h265']}:h265",
        },
        log,
    )
    yield server
    server.stop()


AUTH_USER, AUTH_PASSWORD = "operator", "p@ss:w/rd"


@pytest.fixture(scope="session")
def rtsp_auth(media: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RtspSimulator]:
    """A camera that wants credentials (HTTP Basic over RTSP)."""
    log = tmp_path_factory.mktemp("rtsp-auth") / "rtsp.log"
    server = RtspSimulator({"main": f"{media['h264']}:h264"}, log, auth=f"{AUTH_USER}:{AUTH_PASSWORD}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def http_media(media: dict[str, Path]) -> Iterator[MediaServer]:
    server = MediaServer(media["jpeg"], media["back_ts"])
    yield server
    server.stop()


@pytest.fixture
def hostile() -> Iterator[dict[str, HostilePeer]]:
    peers = {"garbage": HostilePeer("garbage"), "stall": HostilePeer("stall")}
    yield peers
    for peer in peers.values():
        peer.stop()


class RecorderProcess:
    """`ct-recorder run` as a child process, configured with a bare `cameras` section."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.config_path = workdir / "recorder.yaml"
        self.state_dir = workdir / "state"
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = free_port()
        self.logs: list[Path] = []

    def section(self, volumes: list[dict[str, Any]], cameras: list[dict[str, Any]], **settings: Any) -> dict[str, Any]:
        return {
            "state_dir": str(self.state_dir),
            "http": {"port": self.port},
            "segment_seconds": 3,
            "read_timeout_seconds": 3,
            "backoff_max_seconds": 2,
            "housekeeping_seconds": 2,
            **settings,
            "volumes": volumes,
            "cameras": cameras,
        }

    def configure(self, section: dict[str, Any]) -> None:
        self.config_path.write_text(yaml.safe_dump(section))

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "CT_RECORDER_CONFIG": str(self.config_path),
            "CT_RECORDER_ALERT_ROOT": str(self.workdir),
            "PYTHONPATH": str(REPO),
        }

    def start(self, extra_env: dict[str, str] | None = None) -> None:
        log = self.workdir / f"recorder-{len(self.logs)}.log"
        self.logs.append(log)
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ctsys.record.service", "-v", "run"],
                cwd=REPO,
                env={**self.env, **(extra_env or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise AssertionError(f"the recorder did not stop within {timeout} s") from None

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs)

    def ctsys(self, *args: str, check: bool = True) -> Any:
        """Run `ctsys ...` against this recorder; parse --json output."""
        result = subprocess.run(
            [sys.executable, "-m", "ctsys.cli", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"ctsys {' '.join(args)} failed: {result.stderr}")
        if "--json" in args and result.returncode == 0:
            return json.loads(result.stdout)
        return result

    def stats(self) -> dict[str, Any]:
        data = self.ctsys("camera", "stats", "--json")
        assert isinstance(data, dict)
        return data


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, step: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (AssertionError, KeyError, ValueError):
            value = None  # the daemon is not up yet, or not that far yet
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[RecorderProcess]:
    proc = RecorderProcess(tmp_path)
    yield proc
    if proc.alive():
        proc.stop(signal.SIGKILL, 10)


def ffprobe(path: Path) -> dict[str, Any]:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, f"ffprobe rejects {path}: {result.stderr}"
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def ffprobe_packets_ok(path: Path) -> float:
    """Demux every packet with ffprobe; return the video duration it measures."""
    result = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=pts_time,duration_time",
            "-of",
            "csv=p=0",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and not result.stderr.strip(), (path, result.stderr)
    times = [line.split(",") for line in result.stdout.split() if line]
    starts = [float(t[0]) for t in times if t[0] not in ("", "N/A")]
    assert starts, f"{path} has no video packets"
    last = max(starts)
    duration = next((float(t[1]) for t in times if t[1] not in ("", "N/A")), 0.0)
    return last + duration - min(starts)


@pytest.fixture
def loop_fs(tmp_path: Path) -> Iterator[Callable[[int], Path]]:
    """Make small ext4 loop filesystems; each is unmounted and detached even on failure."""
    require("losetup", "mkfs.ext4", "mount", "umount")
    made: list[tuple[Path, str]] = []

    def make(size_mb: int) -> Path:
        image = tmp_path / f"fs{len(made)}.img"
        mount = tmp_path / f"mnt{len(made)}"
        mount.mkdir()
        with open(image, "wb") as f:
            f.truncate(size_mb * 2**20)
        subprocess.run(["mkfs.ext4", "-q", "-F", "-m", "0", "-O", "^has_journal", str(image)], check=True, timeout=60)
        device = subprocess.run(
            ["losetup", "--find", "--show", str(image)], check=True, capture_output=True, text=True, timeout=30
        ).stdout.strip()
        made.append((mount, device))
        subprocess.run(["mount", device, str(mount)], check=True, timeout=30)
        return mount

    yield make
    for mount, device in reversed(made):
        subprocess.run(["umount", "-l", str(mount)], check=False, timeout=30)
        subprocess.run(["losetup", "-d", device], check=False, timeout=30)
