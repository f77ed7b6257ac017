"""`POST /v1/embeddings`: deterministic unit-norm vectors in OpenAI's exact wire format, float or base64."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

import numpy as np
import numpy.typing as npt

from aigw_conformance.mocks.core import tokens
from aigw_conformance.mocks.openai import errors, params


@dataclass(frozen=True)
class EmbeddingModel:
    """`dimensions`: native size; `shortenable`: accepts `dimensions`; `encoding`: counts (and decodes) tokens."""

    dimensions: int
    shortenable: bool = True
    encoding: str = "cl100k_base"
    max_input_tokens: int = 8192


MODELS: Mapping[str, EmbeddingModel] = {
    "text-embedding-3-small": EmbeddingModel(1536),
    "text-embedding-3-large": EmbeddingModel(3072),
    "text-embedding-ada-002": EmbeddingModel(1536, shortenable=False),
}
KNOWN_PARAMETERS = frozenset({"input", "model", "encoding_format", "dimensions", "user"})
MAX_INPUTS = 2048


class Embedding(TypedDict):
    object: Literal["embedding"]
    index: int
    embedding: list[float] | str


class EmbeddingUsage(TypedDict):
    prompt_tokens: int
    total_tokens: int


class EmbeddingResponse(TypedDict):
    object: Literal["list"]
    data: list[Embedding]
    model: str
    usage: EmbeddingUsage


def vector(model: str, text: str, dimensions: int, native: int) -> npt.NDArray[np.float32]:
    """The embedding of `text`: sha256(`model` NUL `text` NUL counter) blocks give `native` uniform values in
    [-1, 1) (big-endian uint32 each), normalised to unit length; `dimensions` < `native` keeps the first
    `dimensions` and renormalises (as OpenAI's shortening does). Computed in float64, returned as float32."""
    seed = f"{model}\0{text}\0".encode()
    blocks = b"".join(hashlib.sha256(seed + i.to_bytes(4, "big")).digest() for i in range(-(-native // 8)))
    values = np.frombuffer(blocks, dtype=">u4")[:native].astype(np.float64) / 2.0**31 - 1.0
    values = values[:dimensions]
    return (values / np.linalg.norm(values)).astype(np.float32)


def _invalid_input() -> errors.OpenAIError:
    return errors.invalid_request(
        "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.")


def _is_ids(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(i, int) and not isinstance(i, bool) for i in value)


def inputs(value: Any, encoding: str) -> list[tuple[str, int]]:
    """Each input as (text, token count): strings are counted in `encoding`; token arrays are decoded (so
    `"hi"` and its token ids embed identically) and count their length."""
    if isinstance(value, str) or _is_ids(value):
        value = [value]
    if not isinstance(value, list) or not value:
        raise _invalid_input()
    if len(value) > MAX_INPUTS:
        raise errors.invalid_request(
            f"Invalid 'input': array too long. Expected an array with maximum length {MAX_INPUTS}, but got an "
            f"array with length {len(value)} instead.", param="input", code="array_above_max_length")
    out: list[tuple[str, int]] = []
    for item in value:
        if isinstance(item, str) and item:
            out.append((item, tokens.count_tokens(item, encoding)))
        elif _is_ids(item):
            try:
                out.append((tokens.decode(item, encoding), len(item)))
            except (KeyError, ValueError):
                raise errors.invalid_request(
                    f"Invalid 'input': token ids must be valid {encoding} tokens.", param="input") from None
        else:
            raise _invalid_input()
    return out


def create(
    body: Any, models: Mapping[str, EmbeddingModel] = MODELS, *, strict: bool = True
) -> EmbeddingResponse:
    """Validate `body` (a parsed JSON value) in OpenAI's order and wording and answer it; raises OpenAIError."""
    if not isinstance(body, dict):
        raise errors.invalid_json()
    if strict:
        params.reject_unknown(body, KNOWN_PARAMETERS)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise errors.invalid_request("you must provide a model parameter")
    if body.get("input") is None:
        raise _invalid_input()
    encoding_format = params.choice(body, "encoding_format", ("float", "base64"), "float")
    params.string(body, "user")
    spec = models.get(model)
    if spec is None:
        raise errors.model_not_found(model)
    dimensions = params.integer(body, "dimensions", 1, spec.dimensions)
    if dimensions is not None and not spec.shortenable:
        raise errors.invalid_request("This model does not support specifying dimensions.", param="dimensions")
    items = inputs(body["input"], spec.encoding)
    for _, count in items:
        if count > spec.max_input_tokens:
            raise errors.invalid_request(
                f"This model's maximum context length is {spec.max_input_tokens} tokens, however you requested "
                f"{count} tokens ({count} in your prompt; 0 for the completion). Please reduce your prompt; or "
                "completion length.")
    data: list[Embedding] = []
    for index, (text, _) in enumerate(items):
        values = vector(model, text, dimensions or spec.dimensions, spec.dimensions)
        encoded: list[float] | str = (
            base64.b64encode(values.astype("<f4").tobytes()).decode("ascii") if encoding_format == "base64"
            else [float(v) for v in values]
        )
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    prompt_tokens = sum(count for _, count in items)
    return {
        "object": "list", "data": data, "model": model,
        "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
    }
