"""embedContent and batchEmbedContents: deterministic unit-norm vectors from a hash of the text."""

from __future__ import annotations

import hashlib
import math
from typing import Any

from aigw_conformance.mocks.core import textgen
from aigw_conformance.mocks.gemini import errors, wire
from aigw_conformance.mocks.gemini.fields import check_known, field, integer, string
from aigw_conformance.mocks.gemini.validation import content

DEFAULT_DIMENSIONS = 768
MAX_DIMENSIONS = 3072
REQUEST_FIELDS = ("model", "content", "taskType", "title", "outputDimensionality")
TASK_TYPES = ("TASK_TYPE_UNSPECIFIED", "RETRIEVAL_QUERY", "RETRIEVAL_DOCUMENT", "SEMANTIC_SIMILARITY",
              "CLASSIFICATION", "CLUSTERING", "QUESTION_ANSWERING", "FACT_VERIFICATION", "CODE_RETRIEVAL_QUERY")


def text_of(turn: dict[str, Any]) -> str:
    """What is embedded: the text parts joined by newlines (other parts as compact key-sorted JSON)."""
    return "\n".join(p["text"] if isinstance(p.get("text"), str) else textgen.canonical_json(p)
                     for p in turn["parts"])


def vector(model: str, text: str, dimensions: int = DEFAULT_DIMENSIONS) -> list[float]:
    """SHAKE-256 of {model, text} read as big-endian u32s mapped to [-1, 1), then L2-normalised. The stream is
    the same for every length, so a shorter vector is a renormalised prefix of a longer one (Matryoshka-like,
    as `outputDimensionality` truncation is with gemini-embedding-001)."""
    raw = hashlib.shake_256(textgen.canonical_json({"model": model, "text": text}).encode("utf-8")).digest(
        4 * dimensions)
    values = [int.from_bytes(raw[i : i + 4], "big") / 2**31 - 1 for i in range(0, len(raw), 4)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


def _one(item: Any, model: str, where: str, strict: bool) -> wire.ContentEmbedding:
    if not isinstance(item, dict):
        raise errors.invalid_json(f"Invalid value at '{where or 'request'}': expected an object.")
    check_known(item, REQUEST_FIELDS, where or None, strict)
    prefix = f"{where}." if where else ""
    named = string(item, "model", f"{prefix}model")
    if named is not None and named.removeprefix("models/") != model:
        raise errors.invalid_argument(f"* BatchEmbedContentsRequest.{prefix}model: the model of every request "
                                      f"must be models/{model}, the model of the batch.\n", field=f"{prefix}model")
    if field(item, "content") is None:
        raise errors.invalid_argument(f"* EmbedContentRequest.{prefix}content: content is not specified\n",
                                      field=f"{prefix}content")
    turn = content(field(item, "content"), f"{prefix}content", strict=strict, system=True)
    task = string(item, "taskType", f"{prefix}task_type")
    if task is not None and task not in TASK_TYPES:
        raise errors.invalid_json(f"Invalid value at '{prefix}task_type' (type.googleapis.com/google.ai."
                                  f"generativelanguage.v1beta.TaskType), \"{task}\"")
    dims = integer(item, "outputDimensionality", f"{prefix}output_dimensionality", 1, MAX_DIMENSIONS)
    return {"values": vector(model, text_of(turn), dims or DEFAULT_DIMENSIONS)}


def embed(body: Any, model: str, *, strict: bool = True) -> wire.EmbedContentResponse:
    return {"embedding": _one(body, model, "", strict)}


def batch(body: Any, model: str, *, strict: bool = True) -> wire.BatchEmbedContentsResponse:
    if not isinstance(body, dict):
        raise errors.invalid_json("Expected a JSON object (BatchEmbedContentsRequest).")
    check_known(body, ("requests",), None, strict)
    requests = field(body, "requests")
    if not isinstance(requests, list) or not requests:
        raise errors.invalid_argument("* BatchEmbedContentsRequest.requests: requests is not specified\n",
                                      field="requests")
    return {"embeddings": [_one(item, model, f"requests[{i}]", strict) for i, item in enumerate(requests)]}
