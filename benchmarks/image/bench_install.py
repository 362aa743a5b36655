#!/usr/bin/env python3
"""Install benchmark: prints figures, asserts nothing.

    .venv/bin/python benchmarks/image/bench_install.py ISO [--formats qcow2,vmdk,vhdx,ova,vagrant]

1. Install time: the ISO's kernel boots in qemu (TCG here) with the Install mode
   (`ctserver.mode=install`, unattended, `ctserver.finish=poweroff`) onto a blank
   8 GiB raw disk — the path `ctimage build --outputs ...` takes. Printed: the
   installer's own time (partition to verified), and qemu start to power-off.
   Goal: <= 3 min under TCG (the original product: 15 min on real hardware).
   The boot-menu-to-reboot-prompt time of the Install entry is printed by the
   system test tests/system/test_install.py.
2. Time to produce each VM format from that disk (image/vmformats.py).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from image.vmdisk import install_to_disk  # noqa: E402
from image.vmformats import FORMATS, make_vm_images  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("iso", type=Path)
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--workdir", type=Path, default=Path("/var/tmp"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ct-bench-install.", dir=args.workdir) as scratch:
        work = Path(scratch)
        disk = install_to_disk(args.iso, work / "bench.raw", work / "install.log", progress=print)
        print(f"\ninstaller (partition .. verify): {disk.install_seconds} s")
        print(f"qemu start to power-off:         {disk.seconds:.0f} s   (goal <= 180 s under TCG)")
        images = make_vm_images(disk.raw, work, "bench", args.formats.split(","), "bench", progress=print)
        print(f"\n{'format':<8} {'seconds':>8} {'MiB':>8}")
        for fmt, image in images.items():
            print(f"{fmt:<8} {image.seconds:8.1f} {image.bytes / 2**20:8.0f}")


if __name__ == "__main__":
    main()
