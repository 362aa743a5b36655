"""Data volumes: health (present, mounted, writable), fill level, alerts."""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass, field

from recorder.config import VolumeConfig

log = logging.getLogger(__name__)


@dataclass
class VolumeState:
    config: VolumeConfig
    healthy: bool = True
    reason: str = ""
    since: float = field(default_factory=time.time)
    disk_full: threading.Event = field(default_factory=threading.Event)

    @property
    def name(self) -> str:
        return self.config.name

    def check(self) -> str:
        """Why the volume cannot be written to, or "" when it can."""
        path = self.config.path
        if not path.is_dir():
            return f"{path} is missing"
        if self.config.require_mount and not os.path.ismount(path):
            return f"{path} is not a mount point (the disk is not mounted)"
        if not os.access(path, os.W_OK):
            return f"{path} is not writable"
        return ""

    def refresh(self) -> bool:
        """Re-check; return True when the state changed (the caller raises the alert)."""
        reason = self.check()
        healthy = not reason
        if healthy == self.healthy and reason == self.reason:
            return False
        self.healthy, self.reason, self.since = healthy, reason, time.time()
        if healthy:
            log.warning("volume %s is back: its cameras resume", self.name)
        else:
            log.error("ALERT volume %s unavailable: %s; its cameras stop recording", self.name, reason)
        return True

    def usage_percent(self) -> float:
        usage = shutil.disk_usage(self.config.path)
        return 100.0 * usage.used / usage.total if usage.total else 0.0
