#!/usr/bin/env python3
"""Image builder benchmark: prints figures, asserts nothing.

    sudo .venv/bin/python benchmarks/image/bench.py            # cold, warm, size, boot
    sudo .venv/bin/python benchmarks/image/bench.py --skip-cold
    sudo .venv/bin/python benchmarks/image/bench.py --flavour desktop --skip-boot

Cold build: an empty cache directory (mmdebstrap downloads and installs
everything, the ct-server .deb is built). Warm rebuild: the same settings
again with that cache (bootstrap copied, package reused). Boot to ready:
qemu start until the serial root shell answers and `systemctl
is-system-running --wait` returns (test image, Live serial entry, BIOS CD).
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flavour", default="server")
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument("--skip-boot", action="store_true")
    parser.add_argument("--output", type=Path, default=Path("/var/tmp/ctimage-bench"))
    args = parser.parse_args()

    figures: dict[str, object] = {"flavour": args.flavour, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
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
            iso = Path(str(report["image"]))
            with Vm(VmSpec(image=iso), log_path=args.output / "bench.serial.log") as vm:
                ready = vm.wait_ready()
                figures["accel"] = vm.accel
                figures["boot_kernel_s"] = round(vm.times.kernel or 0, 1)
                figures["boot_login_s"] = round(vm.times.login or 0, 1)
                figures["boot_ready_s"] = round(ready, 1)
                figures["boot_state"] = vm.state
            print(f"boot to ready: {ready:7.1f} s ({figures['accel']}, state {vm.state})")
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
