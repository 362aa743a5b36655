from __future__ import annotations

from fractions import Fraction

import av
import pytest

from recorder.prealarm import PreAlarmBuffer
from recorder.segment import Sample, should_cut


def sample(t: float, key: bool, size: int = 1000, video: bool = True) -> Sample:
    return Sample(
        0 if video else 1,
        av.Packet(b"x" * size),
        int(t * 1000),
        int(t * 1000),
        Fraction(1, 1000),
        key,
        video,
        1000.0 + t,
        size,
    )


@pytest.mark.unit
def test_buffer_holds_at_most_its_capacity_and_starts_on_a_keyframe() -> None:
    buffer = PreAlarmBuffer(10_000)
    buffer.push(sample(0, False))  # nothing before the first keyframe
    assert len(buffer) == 0
    for i in range(100):
        buffer.push(sample(i * 0.1, key=i % 10 == 0))
        assert buffer.bytes <= 10_000
    drained = buffer.drain()
    assert drained[0].keyframe and drained[0].is_video
    assert drained[-1].seconds == pytest.approx(9.9)
    assert len(buffer) == 0 and buffer.bytes == 0


@pytest.mark.unit
def test_copies_own_their_data() -> None:
    original = sample(0, True, size=10)
    copy = original.copy()
    assert bytes(copy.packet) == bytes(original.packet)
    assert copy.packet is not original.packet


@pytest.mark.unit
@pytest.mark.parametrize(
    ("elapsed", "key", "cut"), [(59.0, True, False), (59.8, True, True), (61.0, False, False), (62.0, True, True)]
)
def test_segments_are_cut_on_keyframes_near_the_target(elapsed: float, key: bool, cut: bool) -> None:
    assert should_cut(elapsed, 60.0, key) is cut
