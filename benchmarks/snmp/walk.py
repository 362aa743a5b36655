"""Benchmark: snmpwalk of the whole CT-SERVER-MIB subtree with 100 cameras.

Starts a real snmpd on 127.0.0.1 (a free port) with the ctsys subagent serving a
fixture state of 100 cameras, walks the product subtree with snmpwalk (v2c,
GETNEXT one OID at a time, no MIB loaded) and snmpbulkwalk, and prints the
figures. Run as root from the repository: `.venv/bin/python -m benchmarks.snmp.walk`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ctsys.run import run
from tests.integration.snmp import lab

PRODUCT = ".1.3.6.1.4.1.99999.1"
LIMIT_SECONDS = 0.300


@dataclass
class Figures:
    cameras: int
    objects: int
    walk_seconds: list[float]
    bulkwalk_seconds: list[float]

    @property
    def walk_median(self) -> float:
        return statistics.median(self.walk_seconds)


def _timed(argv: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    out = run(argv).stdout
    return time.perf_counter() - started, out


def measure(tmp: Path, cameras: int = 100, rounds: int = 5) -> Figures:
    doc = lab.lab_document(lab.free_udp_port(), lab.free_udp_port())
    proc = lab.start_snmpd(tmp, doc, lab.state_with_cameras(tmp, cameras))
    try:
        port = doc.services.snmp.port
        walk = lab.v2c(port, lab.COMMUNITY, "snmpwalk", PRODUCT)
        bulk = lab.v2c(port, lab.COMMUNITY, "snmpbulkwalk", PRODUCT)
        _, out = _timed(walk)  # warm-up: the subagent starts on the first request
        objects = len(lab.values(out))
        walks = [_timed(walk)[0] for _ in range(rounds)]
        bulks = [_timed(bulk)[0] for _ in range(rounds)]
    finally:
        lab.stop(proc)
    return Figures(cameras, objects, walks, bulks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ctsys-snmp-bench-") as tmp:
        # The client tools keep their state there, not in the host's /var/lib/snmp.
        os.environ["SNMP_PERSISTENT_DIR"] = tmp
        f = measure(Path(tmp), args.cameras, args.rounds)
    print(f"snmpwalk of {PRODUCT} with {f.cameras} cameras: {f.objects} objects")
    print(f"  snmpwalk     median {f.walk_median * 1000:.0f} ms, max {max(f.walk_seconds) * 1000:.0f} ms"
          f" over {len(f.walk_seconds)} runs (limit {LIMIT_SECONDS * 1000:.0f} ms)")  # fmt: skip
    print(f"  snmpbulkwalk median {statistics.median(f.bulkwalk_seconds) * 1000:.0f} ms")
    if f.walk_median > LIMIT_SECONDS:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
