from __future__ import annotations

import struct

import pytest

from recorder.g711 import PcmExpansion, alaw_to_linear, ulaw_to_linear


@pytest.mark.unit
@pytest.mark.parametrize(
    ("fn", "code", "linear"),
    [
        (ulaw_to_linear, 0xFF, 0),
        (ulaw_to_linear, 0x7F, 0),
        (ulaw_to_linear, 0x00, -32124),
        (ulaw_to_linear, 0x80, 32124),
        (alaw_to_linear, 0xD5, 8),
        (alaw_to_linear, 0x55, -8),
        (alaw_to_linear, 0xAA, 32256),
        (alaw_to_linear, 0x2A, -32256),
    ],
)
def test_reference_values_of_the_g711_laws(fn: object, code: int, linear: int) -> None:
    assert fn(code) == linear  # type: ignore[operator]


@pytest.mark.unit
@pytest.mark.parametrize("fn", [ulaw_to_linear, alaw_to_linear])
def test_each_law_is_odd_symmetric_and_monotonic_in_magnitude(fn: object) -> None:
    values = [fn(i) for i in range(256)]  # type: ignore[operator]
    assert len(set(values)) >= 255  # mu-law has +0 and -0
    positive = sorted(v for v in values if v > 0)
    assert sorted(-v for v in values if v < 0) == positive


@pytest.mark.unit
def test_expansion_doubles_the_bytes_sample_for_sample() -> None:
    data = bytes([0xFF, 0x00, 0x80])
    out = PcmExpansion("pcm_mulaw", 8000, 1).expand(data)
    assert struct.unpack("<3h", out) == (0, -32124, 32124)
