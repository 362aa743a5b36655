"""Sanitise camera timestamps into a monotonic timeline, one per elementary stream.

Cameras send timestamps that a muxer rejects: the first RTP packet has none,
RTCP re-sync steps audio back ~10 ms, a rebooted or hostile camera jumps
backwards or hours forward. Only the *deltas* of the source are trusted, and
only within bounds; an out-of-bound delta is replaced by the last good one, so
one bad packet shifts the timeline by at most one frame instead of breaking
the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass
class Stamped:
    """Timestamps of one packet after sanitising, in the stream's time base."""

    pts: int
    dts: int
    discontinuity: bool


class StreamTimeline:
    """Monotonic dts/pts for one stream.

    max_gap_seconds: a forward jump larger than this is a discontinuity.
    """

    def __init__(
        self,
        time_base: Fraction,
        max_gap_seconds: float = 5.0,
        default_duration_seconds: float = 0.04,
    ) -> None:
        self.time_base = time_base
        self.max_gap = int(max_gap_seconds / time_base)
        self.default_delta = max(1, int(default_duration_seconds / time_base))
        self.last_in: int | None = None
        self.last_out: int | None = None
        self.last_delta = self.default_delta
        self.discontinuities = 0

    def stamp(self, pts: int | None, dts: int | None, duration: int | None = None) -> Stamped | None:
        """Sanitised timestamps, or None for a packet to skip (no timestamp before any)."""
        source = dts if dts is not None else pts
        if source is None:
            if self.last_out is None:
                return None  # nothing to anchor it to yet
            out = self.last_out + (duration or self.last_delta)
            self.last_out = out
            return Stamped(out, out, False)
        # Keep the source's pts-dts reordering offset (B-frames) when it is sane.
        offset = pts - dts if pts is not None and dts is not None and 0 <= pts - dts <= self.max_gap else 0
        broken = False
        if self.last_in is None or self.last_out is None:
            out = source
        else:
            delta = source - self.last_in
            if delta <= 0 or delta > self.max_gap:
                # Small backward steps (RTCP re-sync) and wild jumps alike: advance by
                # one typical packet so order and rough timing are kept.
                broken = (delta < 0 and -delta > self.last_delta) or delta > self.max_gap
                delta = duration if duration and duration > 0 else self.last_delta
                if broken:
                    self.discontinuities += 1
            else:
                self.last_delta = delta
            out = self.last_out + delta
        self.last_in = source
        self.last_out = out
        return Stamped(out + offset, out, broken)

    def seconds(self, ts: int) -> float:
        return float(ts * self.time_base)
