"""Shared test policy and fixtures.

- Every test carries exactly one tier marker: unit, integration or system.
- A tier that cannot run here fails (never skips): integration needs root,
  tests call `tests.tools.require()` for the tools they need.
- `fake_run` replaces the one subprocess seam (`ctrun._execute`) in unit tests.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from tests.tiertime import TIERS, TierClock, tier_of

CLOCK = TierClock()
TIER_OF: dict[str, str] = {}  # nodeid -> tier, from the markers (a directory name is no marker)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    CLOCK.add(TIER_OF.get(report.nodeid, "unmarked"), report.when, report.duration)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if CLOCK.seconds:
        terminalreporter.section("time per tier")
        for line in CLOCK.lines():
            terminalreporter.write_line(line)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        tiers = [t for t in TIERS if item.get_closest_marker(t) is not None]
        TIER_OF[item.nodeid] = tier_of(tiers)
        if len(tiers) != 1:
            item.add_marker(pytest.mark.usefixtures("_tier_marker_missing"))


@pytest.fixture
def _tier_marker_missing(request: pytest.FixtureRequest) -> None:
    pytest.fail(
        f"{request.node.nodeid}: every test needs exactly one tier marker "
        "(@pytest.mark.unit, integration or system)"
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    needs_root = item.get_closest_marker("integration") or item.get_closest_marker("system")
    if needs_root and os.geteuid() != 0:
        pytest.fail("the integration and system tiers need root (network namespaces, loop devices, qemu)")


@dataclass
class FakeRun:
    """Records every command; answers from rules (argv prefix -> result or exception)."""

    calls: list[list[str]] = field(default_factory=list)
    inputs: list[str | None] = field(default_factory=list)
    rules: list[tuple[tuple[str, ...], object]] = field(default_factory=list)

    def on(self, *prefix: str, stdout: str = "", stderr: str = "", returncode: int = 0) -> None:
        from ctrun import Result

        self.rules.insert(0, (prefix, Result(prefix, returncode, stdout, stderr)))

    def raise_on(self, *prefix: str, exc: Exception) -> None:
        self.rules.insert(0, (prefix, exc))

    def commands(self) -> list[str]:
        return [" ".join(c) for c in self.calls]

    def __call__(self, args: list[str], *, input: str | None = None, **_options: object) -> object:
        from ctrun import Result

        self.calls.append(list(args))
        self.inputs.append(input)
        for prefix, answer in self.rules:
            if tuple(args[: len(prefix)]) == prefix:
                if isinstance(answer, Exception):
                    raise answer
                assert isinstance(answer, Result)
                return Result(tuple(args), answer.returncode, answer.stdout, answer.stderr)
        return Result(tuple(args), 0, "", "")


@pytest.fixture
def fake_run(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRun]:
    import ctrun

    fake = FakeRun()
    monkeypatch.setattr(ctrun, "_execute", fake)
    yield fake


@pytest.fixture
def cli_root(tmp_path: object) -> Callable[..., object]:
    """Invoke `ctsys --root TMP ...` in-process; returns the click Result."""
    from click.testing import CliRunner

    from ctsys.cli import cli

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> object:
        return runner.invoke(cli, ["--root", str(tmp_path), *args], input=input, catch_exceptions=False)

    return invoke
