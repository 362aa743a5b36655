#!/usr/bin/env python3
"""Image builder benchmark: prints figures, asserts nothing.

    .venv/bin/python benchmarks/image/bench.py            # cold, warm, size, boot
    .venv/bin/python benchmarks/image/bench.py --skip-cold
    .venv/bin/python benchmarks/image/bench.py --flavour desktop --skip-boot

Cold build: an empty cache directory (mmdebstrap downloads and installs
everything, the ct-server .deb is built). Warm rebuild: the same settings
again with that cache (bootstrap copied, package reused). Boot to ready:
qemu start until the serial root shell answers and `systemctl
is-system-running --wait` returns (test image, Live serial entry, BIOS CD),
then the guest's own account of that boot: `systemd-analyze time`,
`critical-chain` and the top of `blame` (`--boot-only`: boot the last
build's ISO without building, `--image ISO`: boot that ISO).
Goals on a 2-core machine: warm <= 3 min, cold <= 12 min, server ISO <= 450 MB,
boot <= 45 s under TCG.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from image.build import build_image  # noqa: E402
from image.config import make_config  # noqa: E402
from image.qemu import VmSpec  # noqa: E402
from tests.system.harness import Vm  # noqa: E402


def build(values: dict[str, object]) -> tuple[float, dict[str, Any]]:
    config = make_config(values)
    start = time.monotonic()
    result = build_image(config, out=io.StringIO())
    seconds = time.monotonic() - start
    return seconds, json.loads(result.report.read_text())


def load() -> str:
    """The host's load averages (1, 5, 15 min): other VMs share these cores."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def boot(iso: Path, output: Path, figures: dict[str, object], blame: int) -> None:
    """One boot to ready, then the guest's systemd-analyze figures."""
    output.mkdir(parents=True, exist_ok=True)
    boots = figures.setdefault("boots", [])
    assert isinstance(boots, list)
    before = load()
    with Vm(VmSpec(image=iso), log_path=output / "bench.serial.log") as vm:
        ready = vm.wait_ready()
        figure: dict[str, object] = {
            "accel": vm.accel, "load_before": before, "load_after": load(),
            "kernel_s": round(vm.times.kernel or 0, 1), "login_s": round(vm.times.login or 0, 1),
            "ready_s": round(ready, 1), "state": vm.state,
        }
        print(f"boot to ready: {ready:7.1f} s ({vm.accel}, state {vm.state}, "
              f"load {before} -> {figure['load_after']})", flush=True)
        for title, command in (
                ("systemd-analyze time", "systemd-analyze time"),
                ("critical chain", "systemd-analyze critical-chain --no-pager"),
                (f"blame (top {blame})", f"systemd-analyze blame --no-pager | head -n {blame}"),
                ("kernel command line", "cat /proc/cmdline"),
                ("guest uptime", "cat /proc/uptime")):
            _, out = vm.run(command, timeout=120)
            print(f"--- {title}\n{out}", flush=True)
            figure[title] = out
        boots.append(figure)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flavour", default="server")
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument("--skip-boot", action="store_true")
    parser.add_argument("--output", type=Path, default=Path("/var/tmp/ctimage-bench"))
    parser.add_argument("--image", type=Path, help="boot this ISO, build nothing")
    parser.add_argument("--boots", type=int, default=1, help="how many boots to measure")
    parser.add_argument("--blame", type=int, default=25, help="how many blame lines to print")
    args = parser.parse_args()
    if args.image is not None:
        figures: dict[str, object] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
        for _ in range(args.boots):
            boot(args.image, args.output, figures, args.blame)
        print(json.dumps(figures, indent=2))
        return 0

    figures = {"flavour": args.flavour, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    values: dict[str, object] = {
        "flavour": args.flavour,
        "output_dir": args.output,
        "test_access": True,
        "boot_default": "live-serial",
        "boot_timeout": 1,
    }
    cache = Path(tempfile.mkdtemp(prefix="ctimage-bench-cache.", dir="/var/tmp"))
    try:
        if not args.skip_cold:
            seconds, report = build({**values, "cache_dir": cache})
            figures["cold_build_s"] = round(seconds, 1)
            figures["cold_stages"] = {s["name"]: s["seconds"] for s in report["stages"]}
            print(f"cold build:    {seconds:7.1f} s", flush=True)
            values["cache_dir"] = cache
        seconds, report = build(values)  # warm: the cache is now filled
        figures["warm_build_s"] = round(seconds, 1)
        figures["warm_stages"] = {s["name"]: s["seconds"] for s in report["stages"]}
        size = int(str(report["size_bytes"]))
        figures["iso_mib"] = round(size / 2**20, 1)
        print(f"warm rebuild:  {seconds:7.1f} s", flush=True)
        print(f"ISO size:      {size / 2**20:7.1f} MiB ({size / 1e6:.0f} MB)", flush=True)
        if not args.skip_boot:
            for _ in range(args.boots):
                boot(Path(str(report["image"])), args.output, figures, args.blame)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
