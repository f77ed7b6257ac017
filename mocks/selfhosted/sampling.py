"""vLLM's extra sampling parameters: validated as vLLM does, and made observable through the seed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aigw_conformance.mocks.core import textgen
from aigw_conformance.mocks.selfhosted import errors

PARAMETERS = ("top_k", "min_p", "repetition_penalty")


@dataclass(frozen=True)
class Sampling:
    """`top_k` (-1 or >= 1), `min_p` (0..1), `repetition_penalty` (> 0) and `temperature` (>= 0), None if absent.

    Determinism (what `seed` returns, which replaces the request's seed in the reused OpenAI generation):
    * neutral values (absent, top_k -1, min_p 0, repetition_penalty 1, temperature not 0) change nothing:
      the answer is the OpenAI mock's for the same body;
    * greedy decoding (top_k 1, or temperature 0, as in vLLM) ignores `seed`, `top_k` and `min_p`: the text
      depends on the messages and repetition_penalty only;
    * otherwise seed, top_k, min_p and repetition_penalty all enter the seed material, so changing any of
      them changes the text.
    The derived seed is the first 8 bytes (big-endian, shifted right by one) of sha256 over the key-sorted
    compact JSON of that material. Limitation: `n` choices still differ by index when greedy."""

    top_k: int | None = None
    min_p: float | None = None
    repetition_penalty: float | None = None
    temperature: float | None = None

    @property
    def greedy(self) -> bool:
        return self.top_k == 1 or self.temperature == 0

    @property
    def neutral(self) -> bool:
        return not self.greedy and self.top_k in (None, -1) and self.min_p in (None, 0.0) and (
            self.repetition_penalty in (None, 1.0))

    def seed(self, seed: int | None) -> int | None:
        if self.neutral:
            return seed
        penalty = 1.0 if self.repetition_penalty is None else self.repetition_penalty
        material: dict[str, Any] = {"greedy": True, "repetition_penalty": penalty} if self.greedy else {
            "seed": seed, "top_k": -1 if self.top_k is None else self.top_k,
            "min_p": 0.0 if self.min_p is None else self.min_p, "repetition_penalty": penalty,
        }
        return int.from_bytes(textgen.digest(material)[:8], "big") >> 1


def _number(body: Mapping[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise errors.bad_request(f"{name} must be a number, got {value!r}.", param=name)
    return float(value)


def parse(body: Mapping[str, Any]) -> Sampling:
    """Validate the vLLM sampling parameters of a request body (400 BadRequestError with vLLM's wording)."""
    top_k = body.get("top_k")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int)):
        raise errors.bad_request(f"top_k must be an integer, got {top_k!r}.", param="top_k")
    if top_k is not None and top_k < 1 and top_k != -1:
        raise errors.bad_request(f"top_k must be -1 (disable), or at least 1, got {top_k}.", param="top_k")
    min_p = _number(body, "min_p")
    if min_p is not None and not 0.0 <= min_p <= 1.0:
        raise errors.bad_request(f"min_p must be in [0, 1], got {min_p}.", param="min_p")
    penalty = _number(body, "repetition_penalty")
    if penalty is not None and penalty <= 0.0:
        raise errors.bad_request(
            f"repetition_penalty must be greater than zero, got {penalty}.", param="repetition_penalty")
    temperature = _number(body, "temperature")
    if temperature is not None and temperature < 0.0:
        raise errors.bad_request(f"temperature must be non-negative, got {temperature}.", param="temperature")
    return Sampling(top_k, min_p, penalty, temperature)
