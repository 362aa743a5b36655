#!/usr/bin/env python3
"""VM image formats benchmark: time and size of each format from one raw disk; asserts nothing.

    .venv/bin/python benchmarks/image/bench_vmformats.py DISK.raw
    .venv/bin/python benchmarks/image/bench_vmformats.py /var/tmp/synthetic.raw --synthetic-gib 2

Each format is made alone (an OVA or box includes converting its disk), then
all five at once (each disk converted once and shared). `make` is the
conversion and packing time, `total` adds verify() (qemu-img check and info,
manifest digests, box header). Size is the file's length, allocated what
it takes on disk (sparse files). `--synthetic-gib N` first writes a sparse N GiB
raw disk with a GPT and data in every other 4 MiB extent (half the disk), the
extents alternating random bytes (like compressed packages or video) and text
(like configuration and logs).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from image.vmformats import FORMATS, make_vm_images  # noqa: E402

EXTENT = 4 << 20
TEXT = b"Nov 29 12:00:00 ct-server ct-recorder[812]: camera 17 segment closed, 60.0 s, 30.1 MB\n"


def write_synthetic(path: Path, gib: int) -> None:
    size = gib << 30
    with path.open("wb") as f:
        f.truncate(size)
    subprocess.run(["sgdisk", "-o", "-n", "1:2048:+1M", "-t", "1:ef02", "-n", "2:0:+256M", "-t", "2:ef00",
                    "-n", "3:0:0", "-t", "3:8300", str(path)], check=True, capture_output=True)
    text = (TEXT * (EXTENT // len(TEXT) + 1))[:EXTENT]
    with path.open("r+b") as f:
        for index, offset in enumerate(range(2 * EXTENT, size - 2 * EXTENT, 2 * EXTENT)):
            f.seek(offset)
            f.write(os.urandom(EXTENT) if index % 2 == 0 else text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("raw", type=Path, help="raw disk image")
    parser.add_argument("--synthetic-gib", type=int, help="first write a synthetic raw disk of this size at RAW")
    parser.add_argument("--output", type=Path, default=Path("/var/tmp"), help="where the images are made")
    args = parser.parse_args()

    if args.synthetic_gib:
        start = time.monotonic()
        write_synthetic(args.raw, args.synthetic_gib)
        print(f"synthetic disk written in {time.monotonic() - start:.1f} s", flush=True)
    st = args.raw.stat()
    print(f"raw disk {args.raw}: {st.st_size / 2**20:.0f} MiB, {st.st_blocks * 512 / 2**20:.0f} MiB allocated; "
          f"load average {os.getloadavg()[0]:.1f}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
          flush=True)

    rows = []
    for formats in [[fmt] for fmt in FORMATS] + [list(FORMATS)]:
        out = Path(tempfile.mkdtemp(prefix="ctimage-bench-vm.", dir=args.output))
        try:
            start = time.monotonic()
            images = make_vm_images(args.raw, out, "bench", formats, "bench")
            total = time.monotonic() - start
            label = formats[0] if len(formats) == 1 else "all five"
            make = sum(image.seconds for image in images.values())
            size = sum(image.bytes for image in images.values())
            allocated = sum(image.path.stat().st_blocks * 512 for image in images.values())
            rows.append((label, make, total, size, allocated))
            print(f"  {label:<9} make {make:6.1f} s  total {total:6.1f} s", flush=True)
        finally:
            shutil.rmtree(out)

    print("\n| format | make (s) | with verify (s) | size (MiB) | allocated (MiB) |\n|---|---|---|---|---|")
    for label, make, total, size, allocated in rows:
        print(f"| {label} | {make:.1f} | {total:.1f} | {size / 2**20:.0f} | {allocated / 2**20:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
