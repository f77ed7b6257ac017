"""Conformance tests of what answers say: n, stop, length, seed, structured output, reasoning, images, counts."""

from __future__ import annotations

from typing import Any

from aigw_conformance.suites.checks.output import choices_of, usage_of
from aigw_conformance.suites.conformance.registry import TestContext, conformance_test
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import CheckFailed
from aigw_conformance.suites.features import Feature

CHAT = "/chat/completions"
EXPLAIN = [{"role": "user", "content": "Explain the MITRE ATT&CK framework"}]  # 000 Example 3
COUNTED = [
    {"role": "system", "content": "You are a cybersecurity expert"},
    {"role": "user", "content": "What is a zero-day vulnerability?"},
    {"role": "assistant", "content": "A software security flaw that is unknown to the vendor."},
    {"role": "user", "content": "How can organizations protect against them?"},
]
# 000 Example 5, with branch offices: a question long models think about for more than 25% of REASONING_LIMIT, so
# a budget not scaled down for `low` shows.
DESIGN = [{"role": "user", "content": "Design a zero-trust network architecture for a financial institution with "
                                      "branch offices"}]
JSON_ASK = [{"role": "user", "content": "Describe the Log4Shell vulnerability as a JSON object"}]
THREAT_RECORD: dict[str, Any] = {  # 000's threat_record, every property required as strict mode demands
    "name": "threat_record",
    "strict": True,
    "schema": {
        "type": "object",
        "properties": {
            "threat_name": {"type": "string"},
            "severity": {"type": "string", "enum": ["low", "medium", "high", "critical"]},
            "indicators": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["threat_name", "severity", "indicators"],
        "additionalProperties": False,
    },
}
VISION_TEXT = "What security issues do you see in this network topology?"  # 000 Example 6
PNG_1X1 = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAA"
           "BJRU5ErkJggg==")
TINY_LIMIT = 3
REASONING_LIMIT = 200
SEED = 20_240_601


def _stream_usage(t: TestContext) -> dict[str, Any]:
    """`stream_options` asking for the usage chunk when the target declares stream usage, else nothing."""
    return {} if t.target.skip_reason(Feature.STREAM_USAGE) else {"stream_options": {"include_usage": True}}


def _stop_words(exchange: Exchange) -> list[str]:
    """Two words of the first answer (a third and two thirds of the way in) to ask the next one to stop at."""
    text = next((choice.content for choice in choices_of(exchange) if choice.content), "")
    words = [word for word in dict.fromkeys(text.split()) if len(word.strip(".,;:!?")) >= 4]
    picked = [words[len(words) // 3], words[2 * len(words) // 3]] if words else []
    return list(dict.fromkeys(word.strip(".,;:!?") for word in picked))


def _answered(exchange: Exchange) -> bool:
    try:
        return exchange.status == 200 and bool(choices_of(exchange))
    except CheckFailed:
        return False


@conformance_test("chat.n_choices", features=(Feature.CHAT,))
def n_choices(t: TestContext) -> None:
    """`n: 2` returns two choices, indexed 0 and 1 (000: 'n: Number of completions to generate')."""
    for model in t.models("n"):
        body = {"model": model, "messages": EXPLAIN, "max_completion_tokens": 16, "n": 2}
        t.send("POST", CHAT, json_body=body, label=f"{model}, n=2", expect=["http.success", "chat.choice_indices"])


@conformance_test("stream.n_choices", features=(Feature.CHAT_STREAMING,))
def stream_n_choices(t: TestContext) -> None:
    """A streamed `n: 2` carries choices 0 and 1, each with its role, content and finish reason."""
    for model in t.models("n"):
        body = {"model": model, "messages": EXPLAIN, "max_completion_tokens": 16, "n": 2, "stream": True}
        t.send("POST", CHAT, json_body=body, label=f"{model}, n=2", expect=["http.success", "sse.choice_indices"])


def _stop(t: TestContext, stream: bool) -> None:
    for model in t.models("chat"):
        body: dict[str, Any] = {"model": model, "messages": EXPLAIN, "max_completion_tokens": 64, "seed": SEED}
        probe = t.send("POST", CHAT, json_body=body, label=f"{model}, without stop", expect=["http.success"])
        if not _answered(probe) or not (words := _stop_words(probe)):
            continue
        asked = {**body, "stop": words, **({"stream": True} if stream else {})}
        t.send("POST", CHAT, json_body=asked, label=f"{model}, stop={words}",
               expect=["http.success", "output.stop_honoured"])


@conformance_test("chat.stop", features=(Feature.CHAT,))
def stop(t: TestContext) -> None:
    """Words of an answer, sent back as `stop`, never appear in the answer to the same request."""
    _stop(t, stream=False)


@conformance_test("stream.stop", features=(Feature.CHAT_STREAMING,))
def stream_stop(t: TestContext) -> None:
    """Streamed: the assembled content never contains a requested stop sequence."""
    _stop(t, stream=True)


@conformance_test("chat.length", features=(Feature.CHAT,))
def length(t: TestContext) -> None:
    """max_completion_tokens 3 ends the answer with finish_reason `length`, within 3 completion tokens."""
    for model in t.models("chat"):
        body = {"model": model, "messages": EXPLAIN, "max_completion_tokens": TINY_LIMIT}
        t.send("POST", CHAT, json_body=body, label=f"{model}, max_completion_tokens={TINY_LIMIT}",
               expect=["http.success", "output.length_finish", "output.completion_within_limit"])


@conformance_test("stream.length", features=(Feature.CHAT_STREAMING,))
def stream_length(t: TestContext) -> None:
    """Streamed, max_completion_tokens 3 ends with `length` (and a usage chunk within the limit, if declared)."""
    for model in t.models("chat"):
        body = {"model": model, "messages": EXPLAIN, "max_completion_tokens": TINY_LIMIT, "stream": True,
                **_stream_usage(t)}
        t.send("POST", CHAT, json_body=body, label=f"{model}, max_completion_tokens={TINY_LIMIT}",
               expect=["http.success", "output.length_finish", "output.completion_within_limit"])


@conformance_test("chat.seed", features=(Feature.SEED_DETERMINISM,))
def seed(t: TestContext) -> None:
    """The same request with the same `seed`, sent twice, gets the same content (000: 'deterministic sampling')."""
    for model in t.models("seed"):
        body = {"model": model, "messages": EXPLAIN, "max_completion_tokens": 48, "seed": SEED}
        first = t.send("POST", CHAT, json_body=body, label=f"{model}, seed={SEED}", expect=["http.success"])
        if _answered(first):
            t.send("POST", CHAT, json_body=body, label=f"{model}, seed={SEED} again",
                   expect=["http.success", "output.seed_deterministic"],
                   context={"first": [choice.content for choice in choices_of(first)]})


def _structured(t: TestContext, capability: str, fmt: dict[str, Any], check: str, stream: bool) -> None:
    for model in t.models(capability):
        body: dict[str, Any] = {"model": model, "messages": JSON_ASK, "response_format": fmt,
                                "max_completion_tokens": 400, **({"stream": True} if stream else {})}
        t.send("POST", CHAT, json_body=body, label=f"{model}, {fmt['type']}", expect=["http.success", check])


@conformance_test("structured.json_object", features=(Feature.STRUCTURED_OUTPUT,))
def json_object(t: TestContext) -> None:
    """response_format json_object gives content that parses as a JSON object."""
    _structured(t, "json_object", {"type": "json_object"}, "structured.json_object", stream=False)


@conformance_test("structured.json_schema", features=(Feature.STRUCTURED_OUTPUT,))
def json_schema(t: TestContext) -> None:
    """response_format json_schema (000's threat_record) gives content valid against the schema."""
    fmt = {"type": "json_schema", "json_schema": THREAT_RECORD}
    _structured(t, "structured", fmt, "structured.json_schema", stream=False)


@conformance_test("structured.json_object_stream", features=(Feature.STRUCTURED_OUTPUT, Feature.CHAT_STREAMING))
def json_object_stream(t: TestContext) -> None:
    """Streamed json_object: the assembled content parses as a JSON object."""
    _structured(t, "json_object", {"type": "json_object"}, "structured.json_object", stream=True)


@conformance_test("structured.json_schema_stream", features=(Feature.STRUCTURED_OUTPUT, Feature.CHAT_STREAMING))
def json_schema_stream(t: TestContext) -> None:
    """Streamed json_schema: the assembled content is valid against the schema."""
    fmt = {"type": "json_schema", "json_schema": THREAT_RECORD}
    _structured(t, "structured", fmt, "structured.json_schema", stream=True)


@conformance_test("reasoning.effort_levels", features=(Feature.REASONING,))
def effort_levels(t: TestContext) -> None:
    """reasoning_effort low, medium, high report reasoning_tokens within 25/33/50% of max tokens (001's budgets
    are ceilings: a level may spend less than a lower one did)."""
    for model in t.models("reasoning"):
        for effort in ("low", "medium", "high"):
            body = {"model": model, "messages": DESIGN, "max_completion_tokens": REASONING_LIMIT,
                    "reasoning_effort": effort}
            t.send("POST", CHAT, json_body=body, label=f"{model}, reasoning_effort={effort}",
                   expect=["http.success", "reasoning.tokens_reported", "reasoning.budget"])


@conformance_test("reasoning.stream", features=(Feature.REASONING, Feature.CHAT_STREAMING, Feature.STREAM_USAGE))
def reasoning_stream(t: TestContext) -> None:
    """Streamed with include_usage, the usage chunk reports reasoning_tokens within completion_tokens."""
    for model in t.models("reasoning"):
        body = {"model": model, "messages": DESIGN, "max_completion_tokens": REASONING_LIMIT,
                "reasoning_effort": "high", "stream": True, "stream_options": {"include_usage": True}}
        t.send("POST", CHAT, json_body=body, label=f"{model}, reasoning_effort=high",
               expect=["http.success", "reasoning.tokens_reported"])


@conformance_test("vision.image_url", features=(Feature.VISION,))
def image_url(t: TestContext) -> None:
    """An image_url part (a data: URL) is accepted and costs prompt tokens over the same text alone."""
    text_part = {"type": "text", "text": VISION_TEXT}
    image_part = {"type": "image_url", "image_url": {"url": PNG_1X1, "detail": "low"}}
    for model in t.models("vision"):
        alone = t.send("POST", CHAT, label=f"{model}, text part only", expect=["http.success"], json_body={
            "model": model, "messages": [{"role": "user", "content": [text_part]}], "max_completion_tokens": 16})
        prompt = (usage_of(alone) or {}).get("prompt_tokens") if _answered(alone) else None
        t.send("POST", CHAT, label=f"{model}, text and image parts", json_body={
            "model": model, "messages": [{"role": "user", "content": [text_part, image_part]}],
            "max_completion_tokens": 16}, expect=["http.success", "vision.image_counted"],
            context={"text_prompt_tokens": prompt})


@conformance_test("count.matches_usage", features=(Feature.TOKEN_COUNTING,))
def count_matches_usage(t: TestContext) -> None:
    """POST /chat/count gives the prompt_tokens a chat completion of the same messages reports."""
    for model in t.models("count"):
        completion = t.send("POST", CHAT, json_body={"model": model, "messages": COUNTED, "max_completion_tokens": 8},
                            label=f"{model}, usage to count against", expect=["http.success"])
        prompt = (usage_of(completion) or {}).get("prompt_tokens") if _answered(completion) else None
        if isinstance(prompt, int):
            t.send("POST", "/chat/count", json_body={"model": model, "messages": COUNTED}, label=model,
                   expect=["count.matches_usage"], context={"prompt_tokens": prompt})


@conformance_test("count.unsupported_model", features=(Feature.TOKEN_COUNTING,))
def count_unsupported_model(t: TestContext) -> None:
    """POST /chat/count refuses a model the documents exclude (001: Claude models are not supported)."""
    for model in t.models("uncountable", fallback=False):
        t.send("POST", "/chat/count", json_body={"model": model, "messages": COUNTED}, label=model,
               expect=["count.unsupported_refused"])
