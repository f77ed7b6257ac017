"""Log probabilities: validate `logprobs`/`top_logprobs` and derive deterministic per-token entries."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from typing import Any

from aigw_conformance.mocks.openai import errors, wire
from aigw_conformance.mocks.openai.params import bad_type, integer

MAX_TOP_LOGPROBS = 20
DIGITS = 6
ALTERNATIVES = (
    " the", " a", ",", ".", " and", " of", " to", " in", " is", " for", " that", " with", " on", " as", "\n",
    " by", " it", " be", " an", " or", " this", " from",
)
"""Candidate runner-up tokens; one more than the maximum `top_logprobs`, so k - 1 always differ from t."""


def parse(body: Mapping[str, Any]) -> int | None:
    """How many `top_logprobs` per token (0..20), or None when `logprobs` is not enabled."""
    enabled = body.get("logprobs")
    if enabled is not None and not isinstance(enabled, bool):
        raise bad_type("logprobs", "a boolean", enabled)
    top = integer(body, "top_logprobs", 0, MAX_TOP_LOGPROBS)
    if top is not None and enabled is not True:
        raise errors.invalid_request(
            "The 'top_logprobs' parameter is only allowed when 'logprobs' is enabled.", param="top_logprobs")
    return (top or 0) if enabled else None


def entries(pieces: Sequence[str], material: str, top: int) -> list[wire.TokenLogprob]:
    """One entry per output token (`pieces`), the same for the whole answer and for its streamed chunks.

    Rule: output token t at position i gets probability p = 0.5 + 0.4999 * u (u uniform in [0, 1) from
    sha256(material, i)), so `logprob = ln p` lies in [-0.693, 0); its `top_logprobs` list t itself first, then
    k - 1 distinct alternative tokens with probabilities (1 - p) / 2, (1 - p) / 4, ...: strictly decreasing, all
    below p, summing to less than 1. Logprobs cover content tokens only (not reasoning, not tool arguments).
    """
    out: list[wire.TokenLogprob] = []
    for i, piece in enumerate(pieces):
        block = hashlib.sha256(f"{material}|logprob:{i}".encode()).digest()
        p = 0.5 + 0.4999 * int.from_bytes(block[:8], "big") / 2**64
        chosen = round(math.log(p), DIGITS)
        start = block[8] % len(ALTERNATIVES)
        rotated = ALTERNATIVES[start:] + ALTERNATIVES[:start]
        runners = [alt for alt in rotated if alt != piece][: max(top - 1, 0)]
        ranked = [(piece, chosen)] + [
            (alt, round(math.log((1 - p) / 2 ** (j + 1)), DIGITS)) for j, alt in enumerate(runners)
        ]
        out.append(wire.token_logprob(piece, chosen, ranked[:top]))
    return out
