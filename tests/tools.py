"""Helpers for tests that need real tools: a missing tool fails the test, never skips it."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest


def require(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None and shutil.which(t, path="/usr/sbin:/sbin") is None]
    if missing:
        pytest.fail(
            f"missing tool(s) {', '.join(missing)}: install them (see .ci/packages/*.apt) — "
            "a tier that cannot run must fail, not skip"
        )


def stop_processes(procs: list[subprocess.Popen[bytes]] | list[subprocess.Popen[str]]) -> None:
    """SIGTERM every process a test started that still runs, then wait; SIGKILL what does not stop in 5 s."""
    for proc in procs:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def sh(*args: str, timeout: float = 300) -> str:
    """Run a tool, fail on a non-zero exit, return its standard output."""
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=timeout).stdout


def sha256(path: str | Path) -> str:
    """Digest of a file or a whole block device, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def match_golden(out: Path, target: str, text: str | None) -> None:
    """A rendered file against its golden copy under `out` (None: it must not be rendered).

    UPDATE_GOLDEN=1 rewrites the golden files (and removes those no longer rendered).
    """
    golden = out / target.lstrip("/")
    update = bool(os.environ.get("UPDATE_GOLDEN"))
    if text is None:
        assert not golden.exists() or update, f"{target} should not be rendered"
        if golden.exists():
            golden.unlink()
        return
    if update:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
    assert golden.exists(), f"no golden file for {target}: run with UPDATE_GOLDEN=1"
    assert text == golden.read_text(), f"{target} differs from {golden}"
