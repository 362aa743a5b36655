"""Recorder benchmark: CPU and memory per camera against one ffmpeg per camera; export time.

    .venv/bin/python benchmarks/recorder/bench.py [--counts 1,10,40] [--window 20]
        [--export-minutes 60] [--workdir /var/tmp/ct-bench]

Cameras are paced RTSP streams from gst-rtsp-server on 127.0.0.1 (one pipeline per
client) serving a 1080p25 H.264 4 Mbit/s + AAC clip made with ffmpeg, GOP 50, no
B-frames. For each N the recorder (PyAV threads, one process) and N processes of
`ffmpeg -c copy -f segment` (the way Frigate records) record the same streams in
turn; CPU is measured over the same window after every stream is connected.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import yaml

REPO = Path(__file__).resolve().parents[2]
SIM = REPO / "tests/integration/recorder/rtsp_sim.py"
sys.path.insert(0, str(REPO))

from recorder.config import load  # noqa: E402
from recorder.export import export  # noqa: E402
from recorder.index import Index  # noqa: E402
from recorder.layout import segment_path  # noqa: E402
from recorder.reindex import reindex  # noqa: E402

BITRATE_MBIT = 4.0


def make_clip(path: Path, seconds: int) -> None:
    if path.exists():
        return
    subprocess.run(
        [
            "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1920x1080:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=1000:sample_rate=48000",
            "-filter_complex",
            "[1:a]aformat=channel_layouts=stereo[a]",
            "-map",
            "0:v",
            "-map",
            "[a]",
            "-t",
            str(seconds),
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-profile:v",
            "high",
            "-pix_fmt",
            "yuv420p",
            "-bf",
            "0",
            "-b:v",
            "4M",
            "-maxrate",
            "4M",
            "-bufsize",
            "8M",
            "-g",
            "50",
            "-keyint_min",
            "50",
            "-sc_threshold",
            "0",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            str(path),
        ],
        check=True,
        timeout=900,
    )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def rss(procs: list[psutil.Process]) -> list[int]:
    out = []
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            out.append(p.memory_info().rss)
    return out


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGINT if p.args[0] == "ffmpeg" else signal.SIGTERM)
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)


def run_recorder(url: str, n: int, work: Path, window: float) -> dict[str, Any]:
    volume = work / "rec"
    shutil.rmtree(volume, ignore_errors=True)
    shutil.rmtree(work / "state", ignore_errors=True)
    volume.mkdir(parents=True)
    config = work / "rec.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "state_dir": str(work / "state"),
                "http": {"port": free_port()},
                "fsync_seconds": float(os.environ.get("BENCH_FSYNC_SECONDS", "1")),
                "volumes": [{"name": "v", "path": str(volume), "require_mount": False}],
                "cameras": [{"name": f"cam{i}", "volume": "v", "streams": {"main": {"url": url}}} for i in range(n)],
            }
        )
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "recorder.cli", "--config", str(config), "run"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        stats_path = work / "state" / "stats.json"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                stats = json.loads(stats_path.read_text())
                states = [s["state"] for c in stats["cameras"].values() for s in c["streams"].values()]
                if len(states) == n and all(s == "connected" for s in states):
                    break
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.5)
        else:
            raise RuntimeError(f"recorder: not all {n} cameras connected")
        time.sleep(3)  # past the probing burst
        ps = [psutil.Process(proc.pid)]
        c0, t0 = cpu_seconds(ps), time.monotonic()
        time.sleep(window)
        c1, t1 = cpu_seconds(ps), time.monotonic()
        memory = rss(ps)[0]
        stats = json.loads(stats_path.read_text())
        kbps = [s["bitrate_kbps"] for c in stats["cameras"].values() for s in c["streams"].values()]
    finally:
        stop([proc])
    return {"cpu": (c1 - c0) / (t1 - t0), "rss": memory, "kbps": sum(kbps) / len(kbps)}


def run_ffmpeg(url: str, n: int, work: Path, window: float) -> dict[str, Any]:
    out = work / "ff"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    procs = []
    for i in range(n):
        (out / f"cam{i}").mkdir()
        procs.append(
            subprocess.Popen(
                [
                    "ffmpeg",
                    "-hide_banner",
                    "-loglevel",
                    "error",
                    "-nostdin",
                    "-rtsp_transport",
                    "tcp",
                    "-i",
                    url,
                    "-map",
                    "0",
                    "-c",
                    "copy",
                    "-f",
                    "segment",
                    "-segment_time",
                    "60",
                    "-reset_timestamps",
                    "1",
                    "-strftime",
                    "1",
                    str(out / f"cam{i}" / "%Y%m%dT%H%M%S.mkv"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # every process has started writing
            if all(any((out / f"cam{i}").iterdir()) for i in range(n)):
                break
            time.sleep(0.5)
        else:
            raise RuntimeError("ffmpeg: not every process started writing")
        time.sleep(3)
        ps = [psutil.Process(p.pid) for p in procs]
        c0, t0 = cpu_seconds(ps), time.monotonic()
        time.sleep(window)
        c1, t1 = cpu_seconds(ps), time.monotonic()
        memory = rss(ps)
        alive = sum(1 for p in procs if p.poll() is None)
    finally:
        stop(procs)
    if alive != n:
        raise RuntimeError(f"ffmpeg: only {alive} of {n} processes survived")
    return {"cpu": (c1 - c0) / (t1 - t0), "rss": sum(memory) / len(memory)}


def bench_export(clip: Path, work: Path, minutes: int) -> dict[str, Any]:
    """`minutes` consecutive 60 s segments of the clip, indexed, exported to one .mkv."""
    volume = work / "exp"
    shutil.rmtree(volume, ignore_errors=True)
    pieces = work / "pieces"
    shutil.rmtree(pieces, ignore_errors=True)
    pieces.mkdir(parents=True)
    subprocess.run(
        [
            "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(clip),
            "-t",
            "60",
            "-c",
            "copy",
            "-f",
            "matroska",
            str(pieces / "minute.mkv"),
        ],
        check=True,
    )
    t0 = float(int(time.time()) - 2 * 86400)
    for i in range(minutes):
        target = segment_path(volume, "exp", "main", "continuous", t0 + 60 * i)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            shutil.copyfile(pieces / "minute.mkv", target)
    config_path = work / "exp.yaml"
    config_path.write_text(
        yaml.safe_dump(
            {
                "state_dir": str(work / "exp-state"),
                "volumes": [{"name": "v", "path": str(volume), "require_mount": False}],
                "cameras": [{"name": "exp", "volume": "v", "streams": {"main": {"url": "rtsp://x/"}}}],
            }
        )
    )
    config = load(config_path)
    index = Index(config.index_path)
    reindex(index, config)
    source = sum(s.bytes for s in index.segments(camera="exp"))
    subprocess.run(["sync"], check=False)
    out = work / "export.mkv"
    started, cpu_started = time.monotonic(), time.process_time()
    result = export(index, "exp", t0, t0 + 60 * minutes, out)
    seconds, cpu = time.monotonic() - started, time.process_time() - cpu_started
    os.sync()  # the export is not done until it is on the disk
    synced = time.monotonic() - started
    index.close()
    ffmpeg_list = work / "concat.txt"
    ffmpeg_list.write_text("".join(f"file '{s.path}'\n" for s in Index(config.index_path).segments(camera="exp")))
    started = time.monotonic()
    subprocess.run(
        [
            "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            str(ffmpeg_list),
            "-c",
            "copy",
            str(work / "concat.mkv"),
        ],
        check=True,
    )
    ffmpeg_seconds = time.monotonic() - started
    out.unlink()
    (work / "concat.mkv").unlink()
    return {
        "minutes": minutes,
        "bytes": source,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "seconds_with_sync": synced,
        "duration": result.duration,
        "ffmpeg_concat_seconds": ffmpeg_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counts", default="1,10,40")
    parser.add_argument("--window", type=float, default=20.0)
    parser.add_argument("--export-minutes", type=int, default=60)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "ct-recorder-bench")
    args = parser.parse_args()
    work: Path = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    clip = work / "clip1080p.mp4"
    make_clip(clip, 90)
    port = free_port()
    sim = subprocess.Popen(
        ["/usr/bin/python3", str(SIM), str(port), f"cam={clip}:h264:audio"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert sim.stdout is not None
    sim.stdout.readline()
    url = f"rtsp://127.0.0.1:{port}/cam"
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpus": os.cpu_count(),
        "load": os.getloadavg(),
        "runs": [],
    }
    print(
        f"{'N':>3} {'recorder cpu/stream':>20} {'ffmpeg cpu/stream':>18} {'ratio':>6} "
        f"{'rec MB/cam':>10} {'ffmpeg MB/proc':>14} {'cams/core':>9}",
        flush=True,
    )
    try:
        base_rss = None
        for n in [int(c) for c in args.counts.split(",") if c]:
            rec = run_recorder(url, n, work, args.window)
            ff = run_ffmpeg(url, n, work, args.window)
            if base_rss is None:
                base_rss = rec["rss"]
                per_cam = rec["rss"]
            else:
                per_cam = (rec["rss"] - base_rss) / max(1, n - 1)
            row = {
                "n": n,
                "recorder_cpu_per_stream": rec["cpu"] / n,
                "ffmpeg_cpu_per_stream": ff["cpu"] / n,
                "ratio_ffmpeg_over_recorder": ff["cpu"] / rec["cpu"] if rec["cpu"] else 0,
                "recorder_rss_mb": rec["rss"] / 2**20,
                "recorder_mb_per_camera": per_cam / 2**20,
                "ffmpeg_mb_per_process": ff["rss"] / 2**20,
                "stream_kbps": rec["kbps"],
                "cameras_per_core": n / rec["cpu"] if rec["cpu"] else 0,
                "recorder_mbit_per_core": n * rec["kbps"] / 1000 / rec["cpu"] if rec["cpu"] else 0,
                "ffmpeg_mbit_per_core": n * rec["kbps"] / 1000 / ff["cpu"] if ff["cpu"] else 0,
            }
            results["runs"].append(row)
            print(
                f"{n:>3} {row['recorder_cpu_per_stream']:>20.4f} "
                f"{row['ffmpeg_cpu_per_stream']:>18.4f} {row['ratio_ffmpeg_over_recorder']:>6.2f} "
                f"{row['recorder_mb_per_camera']:>10.1f} {row['ffmpeg_mb_per_process']:>14.1f} "
                f"{row['cameras_per_core']:>9.0f}",
                flush=True,
            )
    finally:
        sim.terminate()
        sim.wait(10)
    if args.export_minutes:
        exp = bench_export(clip, work, args.export_minutes)
        results["export"] = exp
        print(
            f"export {exp['minutes']} min ({exp['bytes'] / 1e9:.2f} GB, "
            f"{exp['duration']:.0f} s of video): {exp['seconds']:.1f} s, {exp['cpu_seconds']:.1f} CPU-s, "
            f"{exp['seconds_with_sync']:.1f} s with sync "
            f"(ffmpeg -f concat -c copy: {exp['ffmpeg_concat_seconds']:.1f} s)",
            flush=True,
        )
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
