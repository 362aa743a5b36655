"""Helpers for tests that need real tools: a missing tool fails the test, never skips it."""

from __future__ import annotations

import shutil

import pytest


def require(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None and shutil.which(t, path="/usr/sbin:/sbin") is None]
    if missing:
        pytest.fail(
            f"missing tool(s) {', '.join(missing)}: install them (see .ci/packages/*.apt) — "
            "a tier that cannot run must fail, not skip"
        )
