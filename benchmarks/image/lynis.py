#!/usr/bin/env python3
"""Hardening audit of the test image with Lynis: prints figures, asserts nothing.

    .venv/bin/python benchmarks/image/lynis.py --image ISO   # boot that ISO
    .venv/bin/python benchmarks/image/lynis.py               # build the test image, then boot it

Boots the test image (Live serial entry, BIOS CD, the harness of
tests/system) and runs `lynis audit system --quick --no-colors` inside
(Lynis is one of the profile's `test_packages`: only images built with test
access carry it). Then reads /var/log/lynis-report.dat and prints the
hardening index, every warning and every suggestion (test id, text,
details). Goal: hardening index >= 80 (docs/security.md says what is done
and what is left, with the reason).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from image.build import build_image  # noqa: E402
from image.config import make_config  # noqa: E402
from image.qemu import VmSpec  # noqa: E402
from tests.system.harness import Vm  # noqa: E402

REPORT = "/var/log/lynis-report.dat"
LOG = "/var/log/lynis.log"
AUDIT = "lynis audit system --quick --no-colors"
GOAL = 80


@dataclass
class Finding:
    test: str
    text: str
    details: str = ""
    solution: str = ""

    def line(self) -> str:
        extra = "" if self.details in ("", "-") else f" [{self.details}]"
        return f"{self.test}: {self.text}{extra}"


@dataclass
class Report:
    hardening_index: int | None = None
    tests_performed: int | None = None
    warnings: list[Finding] = field(default_factory=list)
    suggestions: list[Finding] = field(default_factory=list)
    # hardening points a test did not earn: "TEST-ID (description)" -> (lost, of max)
    lost: dict[str, tuple[int, int]] = field(default_factory=dict)


def parse_report(text: str) -> Report:
    """The parts of lynis-report.dat we print: `key=value` lines, list keys end in
    `[]`, findings are `TEST-ID|text|details|solution`."""
    report = Report()
    for raw in text.splitlines():
        key, sep, value = raw.strip().partition("=")
        if not sep:
            continue
        if key == "hardening_index" and value.strip().isdigit():
            report.hardening_index = int(value)
        elif key == "lynis_tests_done" and value.strip().isdigit():
            report.tests_performed = int(value)
        elif key in ("warning[]", "suggestion[]"):
            parts = [*value.split("|"), "", "", ""][:4]
            finding = Finding(*parts)
            (report.warnings if key == "warning[]" else report.suggestions).append(finding)
    return report


TEST_LINE = re.compile(r"Performing test ID (\S+) \((.*)\)")
PARTIAL = re.compile(r"assigned partial number of hardening points \((\d+) of (\d+)\)")


def lost_points(log: str) -> dict[str, tuple[int, int]]:
    """From lynis.log: which test did not earn its full hardening points (AddHP lines
    follow the 'Performing test ID' line of their test)."""
    lost: dict[str, tuple[int, int]] = {}
    current = "?"
    for line in log.splitlines():
        if match := TEST_LINE.search(line):
            current = f"{match.group(1)} ({match.group(2)})"
        elif match := PARTIAL.search(line):
            got, most = int(match.group(1)), int(match.group(2))
            before = lost.get(current, (0, 0))
            lost[current] = (before[0] + most - got, before[1] + most)
    return lost


def audit(iso: Path, output: Path) -> tuple[Report, dict[str, object]]:
    output.mkdir(parents=True, exist_ok=True)
    figures: dict[str, object] = {"image": str(iso)}
    with Vm(VmSpec(image=iso), log_path=output / "lynis.serial.log") as vm:
        figures["ready_s"] = round(vm.wait_ready(), 1)
        figures["lynis_version"] = vm.check("lynis show version").strip().splitlines()[-1]
        start = time.monotonic()
        # the screen output goes to a file: only the report crosses the serial line
        rc, _ = vm.run(f"{AUDIT} >/root/lynis.out 2>&1", timeout=1800)
        figures["audit_s"] = round(time.monotonic() - start, 1)
        figures["audit_rc"] = rc
        text = vm.check(f"grep -E '^(hardening_index|lynis_tests_done|warning\\[\\]|"
                        f"suggestion\\[\\])=' {REPORT}")
        log = vm.check(f"grep -E 'Performing test ID|assigned partial number' {LOG}", timeout=300)
    report = parse_report(text)
    report.lost = lost_points(log)
    return report, figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--image", type=Path, help="boot this ISO (a test image), build nothing")
    parser.add_argument("--output", type=Path, default=Path("/var/tmp/ctimage-lynis"),
                        help="build output and serial log")
    parser.add_argument("--json", type=Path, help="also write the figures there")
    args = parser.parse_args()
    iso = args.image
    if iso is None:
        config = make_config({"test_access": True, "boot_default": "live-serial",
                              "boot_timeout": 1, "output_dir": args.output})
        iso = build_image(config, out=sys.stderr).image
    report, figures = audit(iso, args.output)
    figures["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    figures["command"] = AUDIT
    figures["hardening_index"] = report.hardening_index
    figures["tests_performed"] = report.tests_performed
    figures["warnings"] = [f.line() for f in report.warnings]
    figures["suggestions"] = [f.line() for f in report.suggestions]
    figures["points_lost"] = {test: list(pair) for test, pair in report.lost.items()}
    print(f"{AUDIT}: {figures['audit_s']} s (exit {figures['audit_rc']}), "
          f"{report.tests_performed} tests, Lynis {figures['lynis_version']}")
    print(f"hardening index: {report.hardening_index} (goal >= {GOAL})")
    print(f"warnings ({len(report.warnings)}):")
    for finding in report.warnings:
        print("  " + finding.line())
    print(f"suggestions ({len(report.suggestions)}):")
    for finding in report.suggestions:
        print("  " + finding.line())
    print("hardening points not earned (lost of possible), by test:")
    for test, (lost, most) in sorted(report.lost.items(), key=lambda kv: -kv[1][0]):
        print(f"  {lost:3d} of {most:3d}  {test}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
