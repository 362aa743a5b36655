"""Time spent per test tier (setup + call + teardown, fixtures included: a module's VM boot
counts in its tier), printed at the end of the run by tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

TIERS = ("unit", "integration", "system")


def tier_of(keywords: Iterable[str]) -> str:
    names = set(keywords)
    found = [t for t in TIERS if t in names]
    return found[0] if len(found) == 1 else "unmarked"


@dataclass
class TierClock:
    seconds: dict[str, float] = field(default_factory=dict)
    tests: dict[str, int] = field(default_factory=dict)

    def add(self, tier: str, when: str, duration: float) -> None:
        self.seconds[tier] = self.seconds.get(tier, 0.0) + duration
        if when == "call":
            self.tests[tier] = self.tests.get(tier, 0) + 1

    def lines(self) -> list[str]:
        order = [t for t in (*TIERS, "unmarked") if t in self.seconds]
        rows = [f"{t:<12} {self.tests.get(t, 0):>5} tests {self.seconds[t]:>9.1f} s"
                f" ({self.seconds[t] / 60:.1f} min)" for t in order]
        total = sum(self.seconds.values())
        return [*rows, f"{'all tiers':<12} {sum(self.tests.values()):>5} tests {total:>9.1f} s"
                       f" ({total / 60:.1f} min)"]
