"""A robust acoustic code for mock speech: text as dual-tone FSK in 16-bit PCM WAV, decoded by Goertzel bins."""

from __future__ import annotations

import hashlib
import io
import struct
import wave
import zlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from aigw_conformance.mocks.core import textgen

SAMPLE_RATE = 24_000
"""Mono, 16-bit signed little-endian PCM at 24 kHz: OpenAI's `wav`/`pcm` speech output."""
SYMBOL = 480
"""Samples per symbol (20 ms): the header always, the payload at speed 1.0 (`round(SYMBOL / speed)`)."""
LOW = tuple(600 + 300 * k for k in range(16))
"""Hz of the 16 tones of a byte's low nibble."""
HIGH = tuple(5_700 + 300 * k for k in range(16))
"""Hz of the 16 tones of a byte's high nibble (all tones below 10.3 kHz, Nyquist is 12 kHz)."""
MAGIC = b"\xa7\x1c"
GAP = SAMPLE_RATE // 10
"""Silence before and after the signal (100 ms)."""
MIN_SPEED, MAX_SPEED = 0.25, 4.0
_HEADER = struct.Struct(">2sHI")  # magic, payload symbol length, payload byte count; then CRC-32 of the payload
HEADER_SYMBOLS = _HEADER.size + 4

Samples = npt.NDArray[np.int16]


def symbol_length(speed: float) -> int:
    """Samples per payload symbol at `speed` (0.25 -> 1920, 1.0 -> 480, 4.0 -> 120)."""
    return round(SYMBOL / speed)


def _tones(data: bytes, length: int, amplitude: float) -> npt.NDArray[np.float64]:
    """One symbol per byte: a cosine at LOW[low nibble] plus one at HIGH[high nibble], each starting at phase 0."""
    t = np.arange(length) / SAMPLE_RATE
    low = np.array([LOW[b & 15] for b in data], dtype=np.float64)[:, None]
    high = np.array([HIGH[b >> 4] for b in data], dtype=np.float64)[:, None]
    return (amplitude * (np.cos(2 * np.pi * low * t) + np.cos(2 * np.pi * high * t))).reshape(-1)


def encode(text: str, speed: float = 1.0, amplitude: float = 0.3) -> Samples:
    """The samples speaking `text`: silence, a header (magic, symbol length, byte count, CRC-32) at the fixed
    SYMBOL rate, one symbol per UTF-8 byte at `symbol_length(speed)`, silence. Same arguments, same samples."""
    if not MIN_SPEED <= speed <= MAX_SPEED or not 0 < amplitude <= 0.5:
        raise ValueError("speed must be in [0.25, 4] and amplitude in (0, 0.5]")
    payload = text.encode("utf-8")
    length = symbol_length(speed)
    header = _HEADER.pack(MAGIC, length, len(payload)) + struct.pack(">I", zlib.crc32(payload))
    signal = np.concatenate([
        np.zeros(GAP), _tones(header, SYMBOL, amplitude), _tones(payload, length, amplitude), np.zeros(GAP),
    ])
    return np.round(signal * 32_767).astype(np.int16)


def to_wav(samples: Samples) -> bytes:
    """A RIFF/WAVE file: PCM, 16-bit, mono, SAMPLE_RATE."""
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(SAMPLE_RATE)
        writer.writeframes(samples.astype("<i2").tobytes())
    return out.getvalue()


def to_pcm(samples: Samples) -> bytes:
    """Raw samples, 16-bit signed little-endian (OpenAI's `pcm` format)."""
    return samples.astype("<i2").tobytes()


@dataclass(frozen=True)
class Decoded:
    """A decoded signal: the text and where its bytes sit in time (byte i spans `start + i * symbol` seconds)."""

    text: str
    start: float
    symbol: float


def _bytes(samples: npt.NDArray[np.float64], offset: int, length: int, count: int) -> bytes:
    """`count` symbols of `length` samples from `offset`: per symbol, the strongest Goertzel bin of each band."""
    frames = samples[offset : offset + length * count].reshape(count, length)
    t = np.arange(length) / SAMPLE_RATE
    basis = np.exp(-2j * np.pi * np.outer(t, np.array(LOW + HIGH, dtype=np.float64)))
    power = np.abs(frames @ basis)
    return bytes((16 * int(np.argmax(row[16:]))) | int(np.argmax(row[:16])) for row in power)


def decode(samples: npt.NDArray[np.int16] | npt.NDArray[np.float64]) -> Decoded | None:
    """The text spoken by `encode` in mono 24 kHz samples, or None if they are not such a signal (no header,
    wrong magic, impossible lengths, CRC mismatch or invalid UTF-8). Independent of gain and of the speed."""
    signal = np.asarray(samples, dtype=np.float64)
    peak = float(np.max(np.abs(signal))) if signal.size else 0.0
    if peak <= 0:
        return None
    start = int(np.argmax(np.abs(signal) >= peak / 2))  # every symbol opens at phase 0: its peak comes first
    if signal.size - start < HEADER_SYMBOLS * SYMBOL:
        return None
    header = _bytes(signal, start, SYMBOL, HEADER_SYMBOLS)
    magic, length, count = _HEADER.unpack(header[: _HEADER.size])
    (crc,) = struct.unpack(">I", header[_HEADER.size :])
    offset = start + HEADER_SYMBOLS * SYMBOL
    fits = symbol_length(MAX_SPEED) <= length <= symbol_length(MIN_SPEED) and offset + length * count <= signal.size
    if magic != MAGIC or not fits:
        return None
    payload = _bytes(signal, offset, length, count) if count else b""
    if zlib.crc32(payload) != crc:
        return None
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return Decoded(text, offset / SAMPLE_RATE, length / SAMPLE_RATE)


@dataclass(frozen=True)
class Audio:
    """An uploaded file as heard: its duration, and the decoded signal if it carries one."""

    duration: float
    decoded: Decoded | None
    digest: str

    @property
    def text(self) -> str:
        """The decoded text, else a placeholder: deterministic text seeded by the sha256 of the file bytes."""
        if self.decoded is not None:
            return self.decoded.text
        return textgen.natural_text(f"transcription:{self.digest}")


UNKNOWN_BYTES_PER_SECOND = 16_000
"""Duration assumed for a file that is not a readable WAV: its size at 128 kbit/s."""


def listen(data: bytes) -> Audio:
    """Read `data` as WAV; only 16-bit mono SAMPLE_RATE audio can carry a signal, anything else (another WAV
    layout, mp3, noise) transcribes to the placeholder."""
    digest = hashlib.sha256(data).hexdigest()
    try:
        with wave.open(io.BytesIO(data), "rb") as reader:
            channels, width, rate = reader.getnchannels(), reader.getsampwidth(), reader.getframerate()
            frames = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError, struct.error):
        return Audio(len(data) / UNKNOWN_BYTES_PER_SECOND, None, digest)
    duration = len(frames) / max(channels * width, 1) / max(rate, 1)
    if (channels, width, rate) != (1, 2, SAMPLE_RATE):
        return Audio(duration, None, digest)
    return Audio(duration, decode(np.frombuffer(frames[: len(frames) // 2 * 2], dtype="<i2")), digest)
