"""Mutable state of one build: paths, timings, progress. The Config stays frozen."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from image.config import Config
from image.profile import Profile


@dataclass
class StageTiming:
    name: str
    seconds: float
    note: str = ""


@dataclass
class Context:
    config: Config
    profile: Profile
    stage_count: int = 1
    out: TextIO = field(default=sys.stderr)
    timings: list[StageTiming] = field(default_factory=list)
    artifacts: dict[str, Path] = field(default_factory=dict)

    @property
    def workspace(self) -> Path:
        return self.config.output_dir / f"{self.config.image_name}.work"

    @property
    def rootfs(self) -> Path:
        return self.workspace / "rootfs"

    @property
    def staging(self) -> Path:
        """The tree that becomes the ISO (live/, boot/grub/)."""
        return self.workspace / "iso"

    @property
    def log_file(self) -> Path:
        return self.config.output_dir / f"{self.config.image_name}.log"

    @property
    def test_key(self) -> Path:
        """Private SSH key the test harness logs in with (test builds only)."""
        return self.config.output_dir / f"{self.config.image_name}.ssh-key"

    @property
    def epoch_env(self) -> dict[str, str]:
        sde = self.config.source_date_epoch
        return {"SOURCE_DATE_EPOCH": str(sde)} if sde is not None else {}

    def progress(self, message: str, percent: float | None = None) -> None:
        done = len(self.timings)
        overall = 100.0 * (done + (percent or 0) / 100) / max(self.stage_count, 1)
        detail = f" {percent:3.0f}%" if percent is not None else ""
        print(f"[{overall:3.0f}%] {message}{detail}", file=self.out, flush=True)

    @contextmanager
    def stage(self, name: str) -> Iterator[StageTiming]:
        """Time a stage; the yielded record can carry a note (e.g. 'cached')."""
        record = StageTiming(name, 0.0)
        self.progress(f"stage {len(self.timings) + 1}/{self.stage_count}: {name}")
        start = time.monotonic()
        try:
            yield record
        finally:
            record.seconds = time.monotonic() - start
        self.timings.append(record)
        note = f" ({record.note})" if record.note else ""
        self.progress(f"stage {name} done in {record.seconds:.1f} s{note}")
