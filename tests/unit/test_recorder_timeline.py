from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recorder.timeline import StreamTimeline

TB = Fraction(1, 90000)
FRAME = 3600  # 25 fps in 90 kHz


@pytest.mark.unit
def test_packets_before_the_first_timestamp_are_skipped() -> None:
    line = StreamTimeline(TB)
    assert line.stamp(None, None) is None
    first = line.stamp(1000, 1000)
    assert first is not None and first.dts == 1000
    # Afterwards a packet without timestamps is placed one typical frame later.
    line.stamp(1000 + FRAME, 1000 + FRAME)
    missing = line.stamp(None, None)
    assert missing is not None and missing.dts == 1000 + 2 * FRAME


@pytest.mark.unit
def test_a_small_backward_step_keeps_order_and_timing() -> None:
    audio = StreamTimeline(Fraction(1, 48000))
    out = [audio.stamp(t, t, 1024) for t in (0, 1024, 2048, 2048 - 480, 2048 + 544)]
    dts = [o.dts for o in out if o is not None]
    assert dts == sorted(set(dts))  # strictly increasing
    assert dts[-1] - dts[0] <= 5 * 1024


@pytest.mark.unit
def test_a_wild_jump_counts_as_a_discontinuity_and_advances_one_frame() -> None:
    line = StreamTimeline(TB)
    line.stamp(0, 0)
    line.stamp(FRAME, FRAME)
    jumped = line.stamp(FRAME + 3600 * 90000, FRAME + 3600 * 90000)  # an hour forward
    assert jumped is not None and jumped.discontinuity
    assert jumped.dts == 2 * FRAME
    back = line.stamp(5, 5)  # then far back
    assert back is not None and back.dts == 3 * FRAME
    assert line.discontinuities == 2


@pytest.mark.unit
def test_b_frame_reordering_offset_is_kept() -> None:
    line = StreamTimeline(TB)
    stamped = line.stamp(2 * FRAME, FRAME)
    assert stamped is not None and stamped.pts - stamped.dts == FRAME


@pytest.mark.unit
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.none(), st.integers(-(2**40), 2**40)), max_size=200))
def test_output_dts_is_strictly_increasing_whatever_the_input(stamps: list[int | None]) -> None:
    line = StreamTimeline(TB)
    last = None
    for value in stamps:
        out = line.stamp(value, value)
        if out is None:
            continue
        assert out.pts >= out.dts
        if last is not None:
            assert out.dts > last
        last = out.dts
