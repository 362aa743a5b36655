"""Network figures for docs/benchmarks.md (run as root, not collected by pytest):

    .venv/bin/python -m tests.integration.net.bench_net

tc accuracy at several rates (iperf3 between namespaces), and the rollback delay:
time from the end of the confirmation window to the restored state.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

from ctsys.cli import cli
from ctsys.config.store import ConfigStore
from ctsys.net import rollback
from ctsys.net.activate import activate_all
from ctsys.net.host import NetHost
from tests.integration.net.netlab import Lab, wait_for

RATES = (10, 50, 100, 300)


def ctsys(root: Path, *args: str) -> None:
    result = CliRunner().invoke(cli, ["--root", str(root), *args])
    if result.exit_code != 0:
        raise SystemExit(result.output)


def iperf(lab: Lab, work: Path, server: str, seconds: int = 4) -> float:
    proc = lab.start(lab.corp, ["iperf3", "-s", "-1", "-B", server], work / "iperf.log")
    time.sleep(0.7)
    out = lab.ns_run(lab.srv, "iperf3", "-c", server, "-t", str(seconds), "-O", "1", "-J", timeout=seconds + 30)
    proc.wait(timeout=10)
    return float(json.loads(out.stdout)["end"]["sum_received"]["bits_per_second"]) / 1e6


def main() -> None:
    lab = Lab(f"b{os.getpid() % 10000}")
    os.environ["CTSYS_NET_NETNS"] = lab.srv
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        root = work / "root"
        try:
            lab.create()
            doc = work / "doc.yaml"
            doc.write_text("version: 1\nnetwork:\n  interfaces:\n"
                           "    - {name: eth1, role: corporate, addresses: [10.77.1.1/24]}\n"
                           "    - {name: eth2, role: cameras, addresses: [10.77.2.1/24]}\n")
            ctsys(root, "config", "import", str(doc), "--no-apply")
            ctsys(root, "apply")
            activate_all(root, ConfigStore(root).load(), NetHost(lab.srv))
            print(f"uncapped veth: {iperf(lab, work, '10.77.1.2'):.1f} Mbit/s")
            for rate in RATES:
                ctsys(root, "net", "set", "eth1", "--egress-mbit", str(rate))
                activate_all(root, ConfigStore(root).load(), NetHost(lab.srv))
                got = iperf(lab, work, "10.77.1.2")
                print(f"cap {rate} Mbit/s: measured {got:.2f} Mbit/s ({(got / rate - 1) * 100:+.1f} %)")
            delays = []
            for _ in range(3):
                pending = rollback.arm(root, 1, NetHost(lab.srv))
                assert pending is not None
                ctsys(root, "net", "set", "eth2", "--address", "10.77.9.1/24")
                activate_all(root, ConfigStore(root).load(), NetHost(lab.srv))
                time.sleep(max(0.0, pending.deadline - time.time()))
                started = time.monotonic()
                ctsys(root, "net", "rollback", "--expired")
                assert wait_for(lambda: "10.77.2.1/24" in lab.addresses(lab.srv)["eth2"], 10)
                delays.append(time.monotonic() - started)
            print("rollback delay after the deadline: " + ", ".join(f"{d:.2f} s" for d in delays))
        finally:
            lab.close()


if __name__ == "__main__":
    main()
