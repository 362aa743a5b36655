"""Alarm state of one camera: a trigger keeps the alarm on for the post-alarm duration."""

from __future__ import annotations

import threading
import time


class AlarmState:
    def __init__(self, post_alarm_seconds: float) -> None:
        self.post_alarm_seconds = post_alarm_seconds
        self._lock = threading.Lock()
        self.active_until = 0.0
        self.triggers = 0
        self.last_trigger = 0.0

    def trigger(self, now: float | None = None, seconds: float | None = None) -> float:
        """Start or extend the alarm; return when it ends (epoch seconds)."""
        now = time.time() if now is None else now
        hold = self.post_alarm_seconds if seconds is None else seconds
        with self._lock:
            self.active_until = max(self.active_until, now + hold)
            self.triggers += 1
            self.last_trigger = now
            return self.active_until

    def active(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) < self.active_until
