"""Checks of POST /embeddings (request and response shapes inferred from OpenAI's): shape, order, sizes, usage."""

from __future__ import annotations

import base64
import binascii
import math
import struct
from typing import Any

from aigw_conformance.suites.checks.registry import check, fail, requires
from aigw_conformance.suites.checks.shapes import json_body, require_schema
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import Severity

Vector = list[float]
SAME_DIRECTION = 0.99  # cosine similarity two answers for one input must reach (providers vary in the last bits)
ENCODING_TOLERANCE = 1e-6  # float32 values printed as JSON numbers, decoded back: only rounding may differ


def is_embeddings(exchange: Exchange) -> bool:
    return exchange.api == "ai" and exchange.operation == "POST /embeddings"


def is_embeddings_reply(exchange: Exchange) -> bool:
    return is_embeddings(exchange) and exchange.status == 200


def requested(exchange: Exchange) -> dict[str, Any]:
    return exchange.request_json if isinstance(exchange.request_json, dict) else {}


def input_count(value: Any) -> int:
    """How many embeddings an `input` asks for: one string or one token array is one; a list of either, its length."""
    if isinstance(value, list) and value and not all(isinstance(item, int) for item in value):
        return len(value)
    return 1


def decoded(embedding: Any, where: str) -> Vector:
    """An embedding as floats: a JSON number array, or base64 of little-endian float32 (OpenAI's `base64`)."""
    if isinstance(embedding, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in embedding):
        return [float(v) for v in embedding]
    if not isinstance(embedding, str):
        raise fail(f"{where} is neither a number array nor a base64 string: {str(embedding)[:80]!r}")
    try:
        raw = base64.b64decode(embedding, validate=True)
    except (binascii.Error, ValueError):
        raise fail(f"{where} is not valid base64: {embedding[:60]!r}") from None
    if len(raw) % 4:
        raise fail(f"{where} decodes to {len(raw)} bytes, not a whole number of little-endian float32 values")
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def listed(exchange: Exchange) -> list[Any]:
    """The answer's `data` array; a failure when there is none."""
    body = json_body(exchange)
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise fail(f"the answer has no `data` array: {exchange.excerpt(160)!r}")
    return data


def vectors(exchange: Exchange) -> list[Vector]:
    """The answer's vectors in the order of `data`, decoded."""
    data = listed(exchange)
    return [decoded(item.get("embedding") if isinstance(item, dict) else None, f"data[{k}].embedding")
            for k, item in enumerate(data)]


def cosine(first: Vector, second: Vector) -> float:
    norms = math.sqrt(sum(v * v for v in first)) * math.sqrt(sum(v * v for v in second))
    return sum(a * b for a, b in zip(first, second, strict=False)) / norms if norms else 0.0


@check("embeddings.response_shape", severity=Severity.HIGH, inferred=True)
@requires(is_embeddings_reply)
def response_shape(exchange: Exchange) -> None:
    """The answer matches EmbeddingResponse, with number arrays, or base64 strings when `base64` was asked."""
    body = json_body(exchange)
    require_schema("EmbeddingResponse", body, "the embeddings answer")
    wanted = str if requested(exchange).get("encoding_format") == "base64" else list
    for k, item in enumerate(body["data"]):
        if not isinstance(item["embedding"], wanted):
            form = "a base64 string" if wanted is str else "a number array"
            raise fail(f"data[{k}].embedding is {type(item['embedding']).__name__}, expected {form} for "
                       f"encoding_format {requested(exchange).get('encoding_format', 'float')!r}")


@check("embeddings.one_per_input", severity=Severity.HIGH, inferred=True)
@requires(is_embeddings_reply)
def one_per_input(exchange: Exchange) -> None:
    """One embedding per input, listed in input order: `data[k].index` is k for every k."""
    data = listed(exchange)
    expected = input_count(requested(exchange).get("input"))
    if len(data) != expected:
        raise fail(f"{len(data)} embeddings for {expected} inputs")
    indices = [item.get("index") if isinstance(item, dict) else None for item in data]
    if indices != list(range(expected)):
        raise fail(f"the embeddings' indices are {indices[:10]}, expected {list(range(expected))[:10]}: "
                   "data must list one embedding per input, in input order")


@check("embeddings.dimensions", severity=Severity.HIGH, inferred=True)
@requires(is_embeddings_reply)
def dimensions(exchange: Exchange) -> None:
    """Every vector has the requested `dimensions`, or without it one length for all (context
    `default_dimensions`: the model's length in an earlier answer)."""
    lengths = sorted({len(vector) for vector in vectors(exchange)})
    asked = requested(exchange).get("dimensions")
    if isinstance(asked, int) and lengths and lengths != [asked]:
        raise fail(f"dimensions={asked} was asked, the vectors have {lengths} values")
    if len(lengths) > 1:
        raise fail(f"the vectors of one answer differ in length: {lengths}")
    default = exchange.context.get("default_dimensions")
    if asked is None and isinstance(default, int) and lengths and lengths != [default]:
        raise fail(f"without `dimensions` the vectors have {lengths[0]} values, an earlier answer of the same model "
                   f"had {default}")


@check("embeddings.usage", severity=Severity.MEDIUM, inferred=True)
@requires(is_embeddings_reply)
def usage(exchange: Exchange) -> None:
    """usage.prompt_tokens counts the inputs (> 0) and usage.total_tokens equals it (there is no completion)."""
    body = json_body(exchange)
    counted = body.get("usage") if isinstance(body, dict) else None
    if not isinstance(counted, dict):
        raise fail(f"the answer has no `usage` object: {exchange.excerpt(160)!r}")
    prompt, total = counted.get("prompt_tokens"), counted.get("total_tokens")
    if not isinstance(prompt, int) or isinstance(prompt, bool) or prompt <= 0:
        raise fail(f"usage.prompt_tokens is {prompt!r}, expected a positive count of the input tokens")
    if total != prompt:
        raise fail(f"usage.total_tokens is {total!r}, usage.prompt_tokens {prompt}: embeddings have no completion, "
                   "so the two must be equal")


@check("embeddings.base64_matches_float", severity=Severity.HIGH, auto=False, inferred=True)
@requires(is_embeddings_reply)
def base64_matches_float(exchange: Exchange) -> None:
    """The base64 vectors decode (little-endian float32) to the float answer for the same input (context
    `float_vectors`)."""
    expected: list[Vector] = exchange.context.get("float_vectors") or []
    got = vectors(exchange)
    if len(got) != len(expected):
        raise fail(f"{len(got)} base64 vectors, the float answer had {len(expected)}")
    for k, (vector, reference) in enumerate(zip(got, expected, strict=True)):
        if len(vector) != len(reference):
            raise fail(f"data[{k}] decodes to {len(vector)} float32 values, the float answer has {len(reference)} "
                       "(base64 must pack little-endian float32)")
        worst = max((abs(a - b) for a, b in zip(vector, reference, strict=True)), default=0.0)
        if worst > ENCODING_TOLERANCE:
            raise fail(f"data[{k}] decodes to values up to {worst:.3g} away from the float answer's; base64 must "
                       "pack the same vector as little-endian float32")


@check("embeddings.deterministic", severity=Severity.MEDIUM, auto=False, inferred=True)
@requires(is_embeddings_reply)
def deterministic(exchange: Exchange) -> None:
    """The same input embeds to the same vector again (context `previous_vectors`: the first answer's)."""
    previous: list[Vector] = exchange.context.get("previous_vectors") or []
    for k, (vector, earlier) in enumerate(zip(vectors(exchange), previous, strict=False)):
        similarity = cosine(vector, earlier)
        if len(vector) != len(earlier) or similarity < SAME_DIRECTION:
            raise fail(f"data[{k}] differs from the first answer for the same input (cosine {similarity:.4f}, "
                       f"{len(vector)} vs {len(earlier)} values)")


@check("embeddings.input_order", severity=Severity.HIGH, auto=False, inferred=True)
@requires(is_embeddings_reply)
def input_order(exchange: Exchange) -> None:
    """In a batch, the k-th embedding is the one of the k-th input (context `single_vectors`: {k: the vector
    of input k embedded alone})."""
    singles: dict[int, Vector] = exchange.context.get("single_vectors") or {}
    got = vectors(exchange)
    for position, single in singles.items():
        if position >= len(got):
            raise fail(f"the batch has no embedding at position {position}")
        similarity = cosine(got[position], single)
        if similarity < SAME_DIRECTION:
            closest = max(range(len(got)), key=lambda k: cosine(got[k], single))
            raise fail(f"the embedding at position {position} is not the one of input {position} (cosine "
                       f"{similarity:.4f}); that input's vector is at position {closest}: the batch is out of order")


@check("embeddings.rejects_invalid", severity=Severity.HIGH, auto=False, inferred=True)
@requires(is_embeddings)
def rejects_invalid(exchange: Exchange) -> None:
    """An invalid embeddings request is refused with its documented status (context `expected_status`, 400 by
    default; 404 for an unknown model)."""
    expected = exchange.context.get("expected_status", 400)
    if exchange.status != expected:
        why = exchange.context.get("invalid", "an invalid embeddings request")
        raise fail(f"{why} was answered {exchange.status}, expected {expected} with the error contract: "
                   f"{exchange.excerpt(160)!r}")
