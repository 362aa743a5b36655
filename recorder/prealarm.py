"""The pre-alarm buffer: the last N MB of a stream, starting on a keyframe."""

from __future__ import annotations

from collections import deque

from recorder.segment import Sample


class PreAlarmBuffer:
    def __init__(self, capacity_bytes: int) -> None:
        self.capacity = capacity_bytes
        self._samples: deque[Sample] = deque()
        self.bytes = 0

    def push(self, sample: Sample) -> None:
        if not self._samples and not (sample.is_video and sample.keyframe):
            return  # a buffer must start on a video keyframe to be playable
        self._samples.append(sample)
        self.bytes += sample.size
        self._trim()

    def _trim(self) -> None:
        # Drop whole GOPs from the front so the buffer still starts on a keyframe.
        while self.bytes > self.capacity and self._samples:
            self._drop_one()
            while self._samples and not (self._samples[0].is_video and self._samples[0].keyframe):
                self._drop_one()

    def _drop_one(self) -> None:
        self.bytes -= self._samples.popleft().size

    def drain(self) -> list[Sample]:
        """Everything buffered, oldest first; the buffer is left empty."""
        samples = list(self._samples)
        self._samples.clear()
        self.bytes = 0
        return samples

    def clear(self) -> None:
        self._samples.clear()
        self.bytes = 0

    @property
    def seconds(self) -> float:
        if len(self._samples) < 2:
            return 0.0
        return self._samples[-1].wall - self._samples[0].wall

    def __len__(self) -> int:
        return len(self._samples)
