"""Replay mode: recorded requests (JSONL: messages, parameters, timestamp) sent again on their own schedule."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from aigw_conformance.suites.load.profiles import OUTPUT_TOKENS_HEADER, Request
from aigw_conformance.suites.load.shapes import Paced
from aigw_conformance.suites.load.tokens import prompt_tokens

STREAM_OPTIONS = {"include_usage": True}


@dataclass(frozen=True)
class Recorded:
    """One recorded request: its offset in seconds from the first, its body, and its prompt and output length."""

    offset_s: float
    body: dict[str, Any]
    prompt_tokens: int
    output_tokens: int | None


def _seconds(value: Any, where: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    raise ValueError(f"{where}: timestamp must be seconds or an ISO 8601 time, got {value!r}")


@functools.cache
def load(path: str | Path) -> tuple[Recorded, ...]:
    """Read and validate a replay file (ValueError with file:line on a bad line), sorted by timestamp."""
    rows: list[tuple[float, dict[str, Any]]] = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ValueError(f"cannot read replay file {path}: {exc}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            raw = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{where}: not JSON ({exc})") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("messages"), list) or "timestamp" not in raw:
            raise ValueError(f"{where}: expected an object with `messages` (a list) and `timestamp`")
        rows.append((_seconds(raw.pop("timestamp"), where), raw))
    if not rows:
        raise ValueError(f"replay file {path} holds no request")
    rows.sort(key=lambda row: row[0])
    first = rows[0][0]
    return tuple(Recorded(t - first, body, prompt_tokens(body["messages"]),
                          body.get("max_completion_tokens", body.get("max_tokens"))) for t, body in rows)


def offset(records: tuple[Recorded, ...], index: int) -> float:
    """When request `index` is due, in seconds from the start: the file's offsets, then the file again after
    its span plus its mean gap (a run longer than the recording wraps around)."""
    count = len(records)
    span = records[-1].offset_s
    period = span + (span / (count - 1) if count > 1 and span > 0 else 1.0)
    return (index // count) * period + records[index % count].offset_s


@dataclass(frozen=True)
class ReplayFactory:
    """Request `index` is recorded request `index` (mod the file's length): its messages and parameters as
    recorded; the model is --model's when the line names none, streams always ask for the usage chunk, and a
    recorded `max_completion_tokens` (or `max_tokens`) is asked of the mocks as the exact output length."""

    records: tuple[Recorded, ...]
    base: Any  # the profile's RequestFactory: model and mock latency headers

    def build(self, index: int) -> Request:
        record = self.records[index % len(self.records)]
        body = {"model": self.base.model, **record.body}
        if body.get("stream"):
            body["stream_options"] = {**body.get("stream_options", {}), **STREAM_OPTIONS}
        headers = self.base.headers()
        if record.output_tokens is not None:  # over the mocks the answer runs to its recorded cap, exactly
            headers[OUTPUT_TOKENS_HEADER] = str(record.output_tokens)
        return Request("chat-stream" if body.get("stream") else "chat", "/chat/completions", body, headers,
                       prompt_tokens=record.prompt_tokens, output_tokens=record.output_tokens)


class ReplaySchedule(Paced):
    """The open-loop shape of a replay: this process's k-th request (index `first + k * step`) is due at the
    start plus its recorded offset / `speed`; `wait()` returns the start lag in ms, as `OpenLoop` does."""

    name = "replay"

    def __init__(self, records: tuple[Recorded, ...], *, speed: float = 1.0, first: int = 0, step: int = 1,
                 clock: Callable[[], float] = time.perf_counter, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(clock=clock, sleep=sleep)
        self.records, self.speed, self.first, self.step = records, speed, first, step

    def offset_s(self, slot: int) -> float:
        return offset(self.records, self.first + slot * self.step) / self.speed
