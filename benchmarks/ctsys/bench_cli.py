#!/usr/bin/env python3
"""Wall time of `ctsys status --json` and of an apply on the default document.

Prints figures, asserts nothing: the goal (status <= 250 ms) is read from the
output. A bare interpreter start is measured in the same run as the reference,
so the ratio holds on a loaded machine too.

    .venv/bin/python benchmarks/ctsys/bench_cli.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def timed(argv: list[str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out.append(time.perf_counter() - start)
    return out


def report(name: str, samples: list[float], reference: float | None = None) -> None:
    med = statistics.median(samples)
    p90 = sorted(samples)[int(0.9 * (len(samples) - 1))]
    ratio = f"  {med / reference:.1f}x bare python" if reference else ""
    print(f"{name:<34} median {med * 1000:6.0f} ms  p90 {p90 * 1000:6.0f} ms  (n={len(samples)}){ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    bare = timed([sys.executable, "-c", "pass"], args.runs)
    ref = statistics.median(bare)
    report("python -c pass (reference)", bare)
    report("ctsys status --json", timed([str(BIN / "ctsys"), "status", "--json"], args.runs), ref)
    report("ctsys --help", timed([str(BIN / "ctsys"), "--help"], args.runs), ref)
    with tempfile.TemporaryDirectory() as root:
        first = timed([str(BIN / "ctsys"), "--root", root, "apply"], 1)
        report("ctsys --root R apply (first)", first, ref)
        report("ctsys --root R apply (no change)", timed([str(BIN / "ctsys"), "--root", root, "apply"], 5), ref)


if __name__ == "__main__":
    main()
