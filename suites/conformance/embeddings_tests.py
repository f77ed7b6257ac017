"""Conformance tests of POST /embeddings and of chat completions refused for embedding and audio models."""

from __future__ import annotations

from typing import Any

from aigw_conformance.suites.checks.embeddings import Vector, vectors
from aigw_conformance.suites.conformance.registry import TestContext, conformance_test
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import CheckFailed
from aigw_conformance.suites.features import Feature

PATH = "/embeddings"
TEXTS = ["Phishing email with a malicious macro", "Lateral movement over SMB", "Ransomware encrypts file shares"]
DIMENSIONS = 64
ERROR_CONTRACT = ["errors.envelope", "errors.x_error", "errors.x_error_id"]


def _vectors(exchange: Exchange) -> list[Vector]:
    """The answer's vectors, or none when it is not a readable embeddings list (its checks say why)."""
    try:
        return vectors(exchange) if exchange.status == 200 else []
    except CheckFailed:
        return []


def _embed(t: TestContext, model: str, text: Any, label: str, **extra: Any) -> Exchange:
    return t.send("POST", PATH, json_body={"model": model, "input": text, **extra}, label=f"{model}, {label}",
                  expect=["http.success"])


@conformance_test("embeddings.batch_order", features=(Feature.EMBEDDINGS,))
def batch_order(t: TestContext) -> None:
    """A batch answers one embedding per input, in input order: each matches its input embedded alone."""
    for model in t.models("embedding", fallback=False):
        singles = {k: _vectors(_embed(t, model, TEXTS[k], f"input {k} alone")) for k in (0, len(TEXTS) - 1)}
        t.send("POST", PATH, json_body={"model": model, "input": TEXTS}, label=f"{model}, batch of {len(TEXTS)}",
               expect=["http.success", "embeddings.input_order"],
               context={"single_vectors": {k: found[0] for k, found in singles.items() if found}})


@conformance_test("embeddings.dimensions", features=(Feature.EMBEDDINGS,))
def dimensions(t: TestContext) -> None:
    """Every vector has the requested `dimensions`; without it, the model's one length."""
    for model in t.models("embedding", fallback=False):
        native = _vectors(_embed(t, model, TEXTS[:2], "native length"))
        _embed(t, model, TEXTS[:2], f"dimensions={DIMENSIONS}", dimensions=DIMENSIONS)
        t.send("POST", PATH, json_body={"model": model, "input": TEXTS[2]}, label=f"{model}, native length again",
               expect=["http.success", "embeddings.dimensions"],
               context={"default_dimensions": len(native[0])} if native else {})


@conformance_test("embeddings.encoding", features=(Feature.EMBEDDINGS,))
def encoding(t: TestContext) -> None:
    """The same input embeds to the same vector again, and `base64` packs that vector as little-endian float32."""
    for model in t.models("embedding", fallback=False):
        first = _vectors(_embed(t, model, TEXTS[0], "float"))
        t.send("POST", PATH, json_body={"model": model, "input": TEXTS[0]}, label=f"{model}, float again",
               expect=["http.success", "embeddings.deterministic"], context={"previous_vectors": first})
        t.send("POST", PATH, json_body={"model": model, "input": TEXTS[0], "encoding_format": "base64"},
               label=f"{model}, base64", expect=["http.success", "embeddings.base64_matches_float"],
               context={"float_vectors": first})


@conformance_test("embeddings.invalid", features=(Feature.EMBEDDINGS,))
def invalid(t: TestContext) -> None:
    """Empty input, `dimensions` <= 0, an unknown model and a chat model are refused with the error contract."""
    model = t.models("embedding", fallback=False)[0]
    cases: list[tuple[str, dict[str, Any], int]] = [
        ("an empty input string", {"model": model, "input": ""}, 400),
        ("an empty input list", {"model": model, "input": []}, 400),
        ("dimensions=0", {"model": model, "input": TEXTS[0], "dimensions": 0}, 400),
        ("dimensions=-8", {"model": model, "input": TEXTS[0], "dimensions": -8}, 400),
        ("an unknown model", {"model": "aigw-no-such-embedding-model", "input": TEXTS[0]}, 404),
    ]
    cases += [(f"chat model {chat}", {"model": chat, "input": TEXTS[0]}, 400) for chat in t.models("chat")[:1]]
    for what, body, status in cases:
        t.send("POST", PATH, json_body=body, label=what, expect=["embeddings.rejects_invalid", *ERROR_CONTRACT],
               context={"invalid": what, "expected_status": status})


@conformance_test("chat.dedicated_endpoints", features=(Feature.CHAT,))
def dedicated_endpoints(t: TestContext) -> None:
    """A chat completion naming an embedding or audio model is refused, 400, 403 or 404 (000: dedicated endpoints,
    no status named)."""
    models = [model for key in ("embedding", "transcription", "speech")
              for model in t.target.models_for(key, fallback=False)[:1]]
    if not models:
        raise t.skip("the target names no embedding or audio model ([models] embedding, transcription, speech)")
    for model in models:
        t.send("POST", "/chat/completions", label=model, context={"dedicated_model": model},
               json_body={"model": model, "messages": [{"role": "user", "content": "Hello"}]},
               expect=["models.dedicated_endpoint_refused", *ERROR_CONTRACT])
