#!/usr/bin/env python3
"""Reproducibility check: build the same commit twice with the same
SOURCE_DATE_EPOCH and list what differs (ISO, squashfs, files inside it).

    .venv/bin/python benchmarks/image/repro.py

Both builds use the warm cache (the bootstrap is copied from it, so this
checks everything after mmdebstrap; a cold bootstrap differs in more places,
see docs/benchmarks.md).
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from image.build import build_image  # noqa: E402
from image.config import make_config  # noqa: E402


def sha(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_hashes(squashfs: Path, into: Path) -> dict[str, str]:
    subprocess.run(["unsquashfs", "-q", "-n", "-d", str(into), str(squashfs)], check=True, stdout=subprocess.DEVNULL)
    out: dict[str, str] = {}
    for path in into.rglob("*"):
        if path.is_file() and not path.is_symlink():
            out[str(path.relative_to(into))] = sha(path)
    return out


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="ctimage-repro.", dir="/var/tmp"))
    builds = []
    for name in ("a", "b"):
        config = make_config({"output_dir": work / name, "image_version": "repro", "source_date_epoch": 1700000000})
        result = build_image(config, out=io.StringIO())
        builds.append((result.image, config))
    (iso_a, cfg_a), (iso_b, cfg_b) = builds
    print(f"ISO identical: {sha(iso_a) == sha(iso_b)}")
    sq_a = work / "a" / f"{cfg_a.image_name}.work" / "iso" / "live" / "filesystem.squashfs"
    sq_b = work / "b" / f"{cfg_b.image_name}.work" / "iso" / "live" / "filesystem.squashfs"
    print(f"squashfs identical: {sha(sq_a) == sha(sq_b)}")
    files_a = tree_hashes(sq_a, work / "ta")
    files_b = tree_hashes(sq_b, work / "tb")
    differ = sorted(k for k in files_a.keys() | files_b.keys() if files_a.get(k) != files_b.get(k))
    print(f"files in the rootfs that differ: {len(differ)} of {len(files_a)}")
    for name in differ[:60]:
        print("  " + name)
    subprocess.run(["rm", "-rf", "--one-file-system", str(work)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
