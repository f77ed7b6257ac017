"""Deterministic, security-flavoured answer text whose token pieces re-tokenize to exactly their count."""

from __future__ import annotations

import functools
import hashlib
import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from aigw_conformance.mocks.core.tokens import DEFAULT_ENCODING, count_tokens, decode, decode_one, encode

FinishReason = Literal["stop", "length"]

MIN_TARGET = 8
MAX_TARGET = 46
"""The natural length aims at a token count in [MIN_TARGET, MAX_TARGET] and ends at the first sentence
boundary at or past it; with these sentences every natural answer is 8 to 60 tokens long (o200k_base)."""

_SUBJECTS = (
    "The analyst", "Our detection pipeline", "The incident response team", "The endpoint agent",
    "The zero trust gateway", "The threat hunter", "The SIEM", "The firewall policy", "The SOC",
    "The red team", "The audit service", "The identity provider",
)
_VERBS = (
    "correlates", "flags", "isolates", "blocks", "reviews", "enriches", "quarantines", "escalates",
    "contains", "monitors", "rotates", "triages",
)
_OBJECTS = (
    "suspicious logins", "the phishing campaign", "lateral movement", "the compromised host",
    "outbound beacons", "privileged sessions", "the leaked credentials", "malicious macros",
    "anomalous DNS queries", "the ransomware payload", "exposed secrets", "unpatched services",
)
_QUALIFIERS = (
    "before the next shift", "within minutes", "using threat intelligence", "across every tenant",
    "with high confidence", "after a policy review", "according to the playbook", "at the network edge",
    "without user impact", "during the investigation", "", "",
)


@dataclass(frozen=True)
class GeneratedText:
    """One generated answer: `pieces` are the decoded tokens, one per streamed chunk, and
    `count_tokens(text) == len(pieces)` always holds."""

    pieces: tuple[str, ...]
    finish_reason: FinishReason

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    @property
    def completion_tokens(self) -> int:
        return len(self.pieces)


def canonical_json(value: Any) -> str:
    """Key-sorted, compact, UTF-8 JSON: the form every hash in the mocks is taken over."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def digest(value: Any) -> bytes:
    """sha256 of `canonical_json(value)`."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).digest()


def seed_material(model: str, messages: Any, seed: Any, index: int) -> str:
    """What one choice's text is derived from: model, messages, seed (null if absent) and choice index."""
    return canonical_json({"model": model, "messages": messages, "seed": seed, "choice": index})


class _Draws:
    """A version-stable stream of small integers from a seed (sha256 in counter mode)."""

    def __init__(self, seed: bytes) -> None:
        self._seed, self._counter = seed, 0

    def below(self, n: int) -> int:
        """`int.from_bytes(sha256(seed + counter.to_bytes(8, "big"))[:8], "big") % n`, counter from 1."""
        self._counter = counter = self._counter + 1
        suffix = _COUNTERS[counter] if counter < len(_COUNTERS) else _U64.pack(counter)
        first: int = _U64.unpack_from(_sha256(self._seed + suffix).digest())[0]
        return first % n


_U64 = struct.Struct(">Q")
_COUNTERS = tuple(_U64.pack(i) for i in range(128))
_sha256 = hashlib.sha256


class _Tokens(NamedTuple):
    ids: tuple[int, ...]
    pieces: tuple[str, ...]
    """`decode_one` of each id."""


class _Natural(NamedTuple):
    text: str
    tokens: _Tokens


@functools.lru_cache(maxsize=1024)
def _part(part: str, encoding: str) -> _Tokens:
    """The tokens of one part of a sentence: a subject, " " + a verb, object or qualifier, or the final ".".
    Each part starts a new pre-token (a space or a capital before letters, or the "." after them), so the ids
    of a sentence, and of the whole text, are its parts' ids joined: BPE never runs across them."""
    ids = tuple(encode(part, encoding))
    return _Tokens(ids, tuple(decode_one(i, encoding) for i in ids))


def _natural(seed_material: str, encoding: str) -> _Natural:
    return _natural_from(hashlib.sha256(seed_material.encode("utf-8")).digest(), encoding)


@functools.lru_cache(maxsize=4096)
def _natural_from(seed: bytes, encoding: str, at_least: int = 0) -> _Natural:
    """`natural_text` with its token ids and pieces, from the sha256 of the seed material (memoised by it: a
    few hundred bytes per entry, however long the material). The ids are the sentence parts' ids joined
    (`_part`), exactly as a fresh encoding of the text gives them (`tests/mocks/test_mock_golden.py`)."""
    draws = _Draws(seed)
    target = max(MIN_TARGET + draws.below(MAX_TARGET - MIN_TARGET + 1), at_least)  # at_least: the output_tokens fault
    sentences: list[str] = []
    ids: list[int] = []
    pieces: list[str] = []
    while not sentences or len(ids) < target:
        words = [w for w in (
            _SUBJECTS[draws.below(len(_SUBJECTS))], _VERBS[draws.below(len(_VERBS))],
            _OBJECTS[draws.below(len(_OBJECTS))], _QUALIFIERS[draws.below(len(_QUALIFIERS))],
        ) if w]
        for part in (words[0] if not sentences else " " + words[0], *(" " + w for w in words[1:]), "."):
            tokens = _part(part, encoding)
            ids += tokens.ids
            pieces += tokens.pieces
        sentences.append(" ".join(words) + ".")
    return _Natural(" ".join(sentences), _Tokens(tuple(ids), tuple(pieces)))


def natural_text(seed_material: str, encoding: str = DEFAULT_ENCODING) -> str:
    """The whole answer for `seed_material`, before any `stop` or token cap is applied."""
    return _natural(seed_material, encoding).text


def _stop_at(text: str, stop: Sequence[str]) -> int | None:
    hits = [i for i in (text.find(s) for s in stop if s) if i >= 0]
    return min(hits) if hits else None


def _consistent_prefix(ids: list[int], limit: int, encoding: str) -> list[int]:
    """The longest prefix of at most `limit` ids whose text re-encodes to exactly that many tokens."""
    for size in range(min(limit, len(ids)), 0, -1):
        if count_tokens(decode(ids[:size], encoding), encoding) == size:
            return ids[:size]
    return []


def generate(
    seed_material: str,
    max_tokens: int,
    *,
    encoding: str = DEFAULT_ENCODING,
    stop: str | Sequence[str] | None = None,
    min_tokens: int = 0,
) -> GeneratedText:
    """The answer for `seed_material`: cut before the first `stop` string (finish `stop`), then capped at
    `max_tokens` tokens (finish `length`); the same arguments always give the same pieces. `min_tokens`
    (the `output_tokens` fault) makes the text run on, sentence by sentence, past that many tokens (past
    `max_tokens` at most), so a cap of `min_tokens` is reached exactly, with finish `length`."""
    stops = (stop,) if isinstance(stop, str) else tuple(stop or ())
    seed = hashlib.sha256(seed_material.encode("utf-8")).digest()
    if sum(map(len, stops)) <= MEMO_STOP_CHARS:
        return _generate_memo(seed, max_tokens, encoding, stops, min_tokens)
    return _generate(seed, max_tokens, encoding, stops, min_tokens)


MEMO_STOP_CHARS = 256
"""Answers are memoised (4096, by the seed material's sha256, the cap, the encoding and the `stop` strings)
when their `stop` strings are at most this long together."""


def _generate(seed: bytes, max_tokens: int, encoding: str, stops: tuple[str, ...], min_tokens: int = 0
              ) -> GeneratedText:
    text, natural = _natural_from(seed, encoding, min(min_tokens, max_tokens) + 1 if min_tokens > 0 else 0)
    cut = _stop_at(text, stops)
    if cut is None and len(natural.ids) <= max_tokens:
        return GeneratedText(natural.pieces, "stop")
    ids = list(natural.ids) if cut is None else encode(text[:cut], encoding)
    finish: FinishReason = "stop"
    if len(ids) > max_tokens:
        ids, finish = _consistent_prefix(ids, max(max_tokens, 0), encoding), "length"
    pieces = tuple(decode_one(i, encoding) for i in ids)
    return GeneratedText(pieces, finish)


_generate_memo = functools.lru_cache(maxsize=4096)(_generate)
