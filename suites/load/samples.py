"""One record per request (`Sample`), appended to a JSONL file per process and read back for the summary."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from types import TracebackType
from typing import IO, Any

PATTERN = "samples-*.jsonl"


@dataclass
class Sample:
    """Times are milliseconds from the moment the request was sent; `t` is that moment (epoch seconds).

    `ttft_ms`: first delta carrying content, a tool call or reasoning; `first_event_ms`: first SSE event of
    any kind; `itl_ms`: the gaps between consecutive such deltas; `lag_ms`: how late the request started
    against its open-loop schedule (None in closed loop); `done`: `[DONE]` seen (None: not a stream);
    `retry_after` and `error_code`: an error response's `Retry-After` and `error.code` (or `error.type`)."""

    t: float
    kind: str
    ok: bool
    status: int = 0
    error: str | None = None
    headers_ms: float | None = None
    first_event_ms: float | None = None
    ttft_ms: float | None = None
    last_token_ms: float | None = None
    e2e_ms: float = 0.0
    itl_ms: list[float] = field(default_factory=list)
    chunks: int = 0
    output_tokens: int | None = None
    usage_tokens: bool = False
    done: bool | None = None
    lag_ms: float | None = None
    bytes: int = 0
    worker: str = ""
    retry_after: str | None = None  # an error response's Retry-After header
    error_code: str | None = None  # an error response's `error.code` (else `error.type`), e.g. circuit_open
    prompt_tokens: int | None = None  # token-length workloads: the prompt's length, by the mocks' tokenizer
    target_output_tokens: int | None = None  # ... and the output length asked for

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Sample:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})

    @property
    def tpot_ms(self) -> float | None:
        """Time per output token after the first: (last token - first token) / (tokens - 1)."""
        if self.ttft_ms is None or self.last_token_ms is None or not self.output_tokens or self.output_tokens < 2:
            return None
        return (self.last_token_ms - self.ttft_ms) / (self.output_tokens - 1)

    @property
    def output_tps(self) -> float | None:
        """Output tokens per second of this request, over its end-to-end time."""
        if not self.output_tokens or self.e2e_ms <= 0:
            return None
        return self.output_tokens / (self.e2e_ms / 1000)


def worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def sample_path(directory: str | Path, run_id: str, worker: str | None = None) -> Path:
    """`DIR/samples-<run>-<host>-<pid>.jsonl`: one file per process, so workers never share a file."""
    return Path(directory) / f"samples-{run_id}-{worker or worker_id()}.jsonl"


class SampleWriter:
    """Appends samples, one JSON object a line, flushed after each so a killed process loses at most one."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] | None = self.path.open("a", encoding="utf-8")
        self.written = 0

    def write(self, sample: Sample) -> None:
        if self._file is None:
            raise ValueError(f"{self.path} is closed")
        self._file.write(sample.to_json() + "\n")
        self._file.flush()
        self.written += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> SampleWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def find_files(sources: Iterable[str | Path], run_id: str | None = None) -> list[Path]:
    """The sample files in `sources` (files, or directories searched for `samples-*.jsonl`; missing paths
    are ignored), sorted."""
    found: set[Path] = set()
    pattern = f"samples-{run_id}-*.jsonl" if run_id else PATTERN
    for source in map(Path, sources):
        found.update(source.glob(pattern) if source.is_dir() else [source] if source.is_file() else [])
    return sorted(found)


def iter_samples(paths: Iterable[Path], skipped: list[str] | None = None) -> Iterator[Sample]:
    """Every sample in `paths`; malformed lines (a worker killed mid-write) are skipped and listed."""
    for path in paths:
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    raw = json.loads(line)
                    sample = Sample.from_dict(raw) if isinstance(raw, dict) else None
                except (ValueError, TypeError):
                    sample = None
                if sample is not None:
                    yield sample
                elif skipped is not None:
                    skipped.append(f"{path.name}:{number}")


def read_samples(sources: Iterable[str | Path], run_id: str | None = None) -> list[Sample]:
    return list(iter_samples(find_files(sources, run_id)))
