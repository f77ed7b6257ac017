"""The load profiles (`chat`, `chat-stream`, `embeddings`, `mixed`) and their deterministic request bodies."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

KINDS = ("chat", "chat-stream", "embeddings")
DEFAULT_MIX: dict[str, float] = {"chat": 1.0, "chat-stream": 3.0, "embeddings": 1.0}
PROFILES: dict[str, dict[str, float]] = {
    "chat": {"chat": 1.0},
    "chat-stream": {"chat-stream": 1.0},
    "embeddings": {"embeddings": 1.0},
    "mixed": DEFAULT_MIX,
}
TOPICS = (
    "XDR", "SIEM correlation rules", "phishing triage", "lateral movement", "TLS certificate pinning",
    "log retention", "incident timelines", "threat intelligence feeds", "EDR telemetry", "zero trust",
)
MOCK_TTFT, MOCK_ITL = "x-mock-ttft-ms", "x-mock-itl-ms"
OUTPUT_TOKENS_HEADER = "x-mock-output-tokens"  # the mocks run a text answer on past this many tokens


def parse_mix(text: str) -> dict[str, float]:
    """`"chat=1,chat-stream=3,embeddings=0.5"` → weights; unknown kinds or negative weights raise."""
    weights: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        kind, sep, value = item.partition("=")
        kind = kind.strip()
        if not sep or kind not in KINDS:
            raise ValueError(f"bad mix entry {item!r}: expected KIND=WEIGHT with KIND one of {', '.join(KINDS)}")
        try:
            weight = float(value)
        except ValueError:
            raise ValueError(f"bad weight in mix entry {item!r}") from None
        if weight < 0:
            raise ValueError(f"negative weight in mix entry {item!r}")
        weights[kind] = weight
    if not any(weights.values()):
        raise ValueError(f"mix {text!r} has no positive weight")
    return weights


def weights_for(profile: str, mix: str | None = None) -> dict[str, float]:
    if profile not in PROFILES:
        raise ValueError(f"unknown load profile {profile!r}: expected one of {', '.join(PROFILES)}")
    if mix and profile == "mixed":
        return parse_mix(mix)
    return dict(PROFILES[profile])


@dataclass(frozen=True)
class Request:
    kind: str
    path: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    prompt_tokens: int | None = None  # token-length workloads and replay (workloads.py): the prompt's exact length
    output_tokens: int | None = None  # ... and the output length asked for (max_completion_tokens)


@dataclass(frozen=True)
class RequestFactory:
    """Request `index` of a run is a pure function of (seed, index): the same seed replays the same prompts
    and kinds, which is what overhead mode needs to compare a gateway with its upstream."""

    weights: dict[str, float]
    model: str = "gpt-5-mini"
    embedding_model: str = "text-embedding-3-small"
    max_tokens: int = 64
    seed: int = 0
    mock_ttft_ms: int | None = None
    mock_itl_ms: int | None = None

    def kind(self, index: int) -> str:
        kinds = [k for k in KINDS if self.weights.get(k, 0) > 0]
        if len(kinds) == 1:
            return kinds[0]
        rng = random.Random(f"{self.seed}:{index}:kind")
        return rng.choices(kinds, weights=[self.weights[k] for k in kinds])[0]

    def prompt(self, index: int) -> str:
        rng = random.Random(f"{self.seed}:{index}:prompt")
        return f"Request {index}: explain {rng.choice(TOPICS)} to a new analyst in {rng.randint(2, 6)} sentences."

    def headers(self) -> dict[str, str]:
        headers = {MOCK_TTFT: self.mock_ttft_ms, MOCK_ITL: self.mock_itl_ms}
        return {name: str(value) for name, value in headers.items() if value is not None}

    def build(self, index: int) -> Request:
        kind = self.kind(index)
        if kind == "embeddings":
            return Request(kind, "/embeddings", {"model": self.embedding_model, "input": self.prompt(index)})
        body: dict[str, Any] = {
            "model": self.model, "messages": [{"role": "user", "content": self.prompt(index)}],
            "max_completion_tokens": self.max_tokens, "seed": self.seed,
        }
        if kind == "chat-stream":
            body |= {"stream": True, "stream_options": {"include_usage": True}}
        return Request(kind, "/chat/completions", body, self.headers())
