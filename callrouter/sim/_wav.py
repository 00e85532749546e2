"""Recording files: silence of the right length in the formats Asterisk writes.

``wav`` is Asterisk's 8 kHz 16-bit mono signed linear in a RIFF container; ``sln`` is
the same samples without a header; ``ulaw``/``alaw`` are one byte a sample. Silence is
written in chunks so an hour-long recording never sits in memory.
"""

from __future__ import annotations

import struct
from pathlib import Path

SAMPLE_RATE = 8000
_WAV_HEADER_BYTES = 44
_CHUNK_SAMPLES = SAMPLE_RATE * 10

# format -> (bytes per sample, the byte that encodes silence)
AUDIO_FORMATS: dict[str, tuple[int, int]] = {
    "wav": (2, 0x00),
    "sln": (2, 0x00),
    "ulaw": (1, 0xFF),
    "alaw": (1, 0xD5),
}

CONTENT_TYPES: dict[str, str] = {
    "wav": "audio/wav",
    "sln": "audio/x-sln",
    "ulaw": "audio/basic",
    "alaw": "audio/x-alaw-basic",
}


def wav_header(num_samples: int) -> bytes:
    data_bytes = num_samples * 2
    return b"".join(
        [
            b"RIFF",
            struct.pack("<I", 36 + data_bytes),
            b"WAVE",
            b"fmt ",
            struct.pack("<IHHIIHH", 16, 1, 1, SAMPLE_RATE, SAMPLE_RATE * 2, 2, 16),
            b"data",
            struct.pack("<I", data_bytes),
        ]
    )


def samples_for(seconds: float) -> int:
    return max(0, round(seconds * SAMPLE_RATE))


def write_silence(path: Path, fmt: str, seconds: float, *, append: bool = False) -> None:
    """Write ``seconds`` of silence; with ``append``, extend an existing file."""
    width, silence = AUDIO_FORMATS[fmt]
    samples = samples_for(seconds)
    if append and path.exists():
        samples += round(duration_of(path, fmt) * SAMPLE_RATE)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        if fmt == "wav":
            out.write(wav_header(samples))
        remaining = samples
        chunk = bytes([silence]) * (_CHUNK_SAMPLES * width)
        while remaining > 0:
            count = min(remaining, _CHUNK_SAMPLES)
            out.write(chunk[: count * width])
            remaining -= count


def duration_of(path: Path, fmt: str) -> float:
    """Seconds of audio in a file this module wrote (or any 8 kHz file of that format)."""
    width, _ = AUDIO_FORMATS[fmt]
    size = path.stat().st_size
    if fmt == "wav":
        size = max(0, size - _WAV_HEADER_BYTES)
    return size / width / SAMPLE_RATE
