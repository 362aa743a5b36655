"""The end of a test run says how long each tier took."""

from __future__ import annotations

import pytest

from tests.tiertime import TierClock, tier_of

pytestmark = pytest.mark.unit


def test_setup_call_and_teardown_count_in_the_test_s_tier_and_tests_are_counted_once() -> None:
    clock = TierClock()
    clock.add("system", "setup", 120.0)  # the VM boot of a module fixture
    clock.add("system", "call", 3.5)
    clock.add("system", "teardown", 1.5)
    clock.add("unit", "call", 0.25)
    assert clock.seconds == {"system": 125.0, "unit": 0.25}
    assert clock.tests == {"system": 1, "unit": 1}
    lines = clock.lines()
    assert lines[0].split()[:3] == ["unit", "1", "tests"]
    assert lines[1].split()[:4] == ["system", "1", "tests", "125.0"]
    assert lines[-1].split()[:5] == ["all", "tiers", "2", "tests", "125.2"]


def test_the_tier_comes_from_the_test_s_one_marker() -> None:
    assert tier_of(["integration"]) == "integration"
    assert tier_of(["unit", "system"]) == "unmarked"
    assert tier_of(["parametrize"]) == "unmarked"
