"""The Lynis benchmark's reading of lynis-report.dat and lynis.log (benchmarks/image/lynis.py)."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from image import REPO_ROOT

pytestmark = [pytest.mark.unit]

_spec = importlib.util.spec_from_file_location("lynis_bench", REPO_ROOT / "benchmarks/image/lynis.py")
lynis = importlib.util.module_from_spec(_spec)
sys.modules["lynis_bench"] = lynis  # dataclasses look their module up
_spec.loader.exec_module(lynis)

REPORT = """\
# Lynis Report
report_version_major=1
hardening_index=81
lynis_tests_done=251
warning[]=PKGS-7392|Found one or more vulnerable packages.|-|-|
suggestion[]=SSH-7408|Consider hardening SSH configuration|MaxAuthTries (set 6 to 3)|-|
suggestion[]=KRNL-5820|Disable core dumps|-|
hardening_index_note=not a number
"""

LOG = """\
2026-12-03 18:01:02 Performing test ID SSH-7408 (Check SSH specific defined options)
2026-12-03 18:01:02 Hardening: assigned partial number of hardening points (1 of 3). Currently having 10 points
2026-12-03 18:01:02 Hardening: assigned partial number of hardening points (2 of 3). Currently having 12 points
2026-12-03 18:01:03 Performing test ID KRNL-6000 (Check sysctl key pairs in scan profile)
2026-12-03 18:01:03 Hardening: assigned partial number of hardening points (0 of 1). Currently having 12 points
2026-12-03 18:01:04 Performing test ID FILE-6310 (Checking /tmp, /home and /var directory)
"""


def test_report_gives_index_tests_warnings_and_suggestions() -> None:
    report = lynis.parse_report(REPORT)
    assert report.hardening_index == 81
    assert report.tests_performed == 251
    assert [f.test for f in report.warnings] == ["PKGS-7392"]
    assert report.warnings[0].line() == "PKGS-7392: Found one or more vulnerable packages."
    assert [f.test for f in report.suggestions] == ["SSH-7408", "KRNL-5820"]
    assert report.suggestions[0].line() == (
        "SSH-7408: Consider hardening SSH configuration [MaxAuthTries (set 6 to 3)]")


def test_report_without_an_index_says_none() -> None:
    report = lynis.parse_report("lynis_tests_done=3\nwarning[]=X-1|text\n")
    assert report.hardening_index is None
    assert report.warnings[0].test == "X-1" and report.warnings[0].details == ""


def test_lost_points_add_up_per_test() -> None:
    lost = lynis.lost_points(LOG)
    assert lost == {
        "SSH-7408 (Check SSH specific defined options)": (3, 6),
        "KRNL-6000 (Check sysctl key pairs in scan profile)": (1, 1),
    }
