"""G.711 (A-law, mu-law) to 16-bit linear PCM: a lossless expansion, not a transcode.

Matroska has no codec id for G.711 (FFmpeg only maps it through ACM, which PyAV
refuses), so camera G.711 audio is stored as the same samples in 16-bit PCM, which
every player reads. Each byte maps to one sample through a 256-entry table.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass


def ulaw_to_linear(value: int) -> int:
    u = ~value & 0xFF
    t = ((u & 0x0F) << 3) + 0x84
    t <<= (u & 0x70) >> 4
    return 0x84 - t if u & 0x80 else t - 0x84


def alaw_to_linear(value: int) -> int:
    a = value ^ 0x55
    t = (a & 0x0F) << 4
    segment = (a & 0x70) >> 4
    if segment == 0:
        t += 8
    elif segment == 1:
        t += 0x108
    else:
        t = (t + 0x108) << (segment - 1)
    return t if a & 0x80 else -t


_TABLES = {
    "pcm_mulaw": [struct.pack("<h", ulaw_to_linear(i)) for i in range(256)],
    "pcm_alaw": [struct.pack("<h", alaw_to_linear(i)) for i in range(256)],
}
CODECS = frozenset(_TABLES)


@dataclass(frozen=True)
class PcmExpansion:
    """Stands in for a G.711 input stream's template: the output is pcm_s16le."""

    codec: str
    rate: int
    channels: int

    def expand(self, data: bytes) -> bytes:
        return b"".join(map(_TABLES[self.codec].__getitem__, data))
