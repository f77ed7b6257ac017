"""`mocks.reference.fast_schema`: the chat request fast path never accepts what jsonschema rejects."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from aigw_conformance.mocks.reference.fast_schema import INVALID, UNSURE, VALID, compile_schema
from aigw_conformance.mocks.reference.validation import CHAT_PATH, _chat_fast_check, _chat_validator
from aigw_conformance.spec.loader import request_body_schema

MESSAGES = [{"role": "system", "content": "You are a SOC assistant."},
            {"role": "user", "content": "What is XDR in cybersecurity?"}]
COMMON: list[dict[str, Any]] = [
    {"model": "gpt-5-mini", "messages": MESSAGES},
    {"model": "gpt-5-mini", "messages": MESSAGES, "max_completion_tokens": 64},
    {"model": "gpt-5-mini", "messages": MESSAGES, "stream": True, "stream_options": {"include_usage": True}},
    {"model": "m", "messages": [{"role": "user", "content": "hi", "name": "ana"}], "temperature": 0.2, "top_p": 1,
     "n": 2, "stop": "END", "seed": 7, "max_tokens": 10, "user": "u-1", "reasoning_effort": "low"},
    {"model": "m", "messages": MESSAGES, "stop": ["a", "b"], "logprobs": False, "service_tier": "auto",
     "frequency_penalty": -2, "presence_penalty": 2.0, "parallel_tool_calls": True, "tool_choice": "auto"},
]
# Values swapped in for a property or a message field: every JSON type, boundaries, integer-valued floats.
ODD_VALUES: list[Any] = [None, True, False, 0, -1, 1, 2, 3, 5, 128, 129, -2.5, 0.0, 1.0, 2.0, 2.01, 64.0, 1e300,
                         "", "low", "user", "tool", "auto", "none", "x", [], ["a"], ["a"] * 5, [1], {}, {"a": 1},
                         {"include_usage": "yes"}, {"type": "text", "text": "hi"}, [{"type": "text", "text": "hi"}]]
NAMES = ["model", "messages", "max_completion_tokens", "max_tokens", "temperature", "top_p", "top_k", "min_p", "n",
         "stop", "seed", "frequency_penalty", "presence_penalty", "repetition_penalty", "logprobs", "top_logprobs",
         "logit_bias", "user", "stream", "stream_options", "tools", "tool_choice", "parallel_tool_calls",
         "reasoning_effort", "service_tier", "response_format", "unknown_extra"]
MESSAGE_FIELDS = ["role", "content", "name", "tool_calls", "tool_call_id", "reasoning", "extra"]


def _mutate(body: dict[str, Any], rng: random.Random) -> Any:
    body = copy.deepcopy(body)
    for _ in range(rng.randint(1, 3)):
        action = rng.random()
        if action < 0.45:
            body[rng.choice(NAMES)] = copy.deepcopy(rng.choice(ODD_VALUES))
        elif action < 0.55 and body:
            body.pop(rng.choice(list(body)))
        elif isinstance(body.get("messages"), list) and body["messages"]:
            message = rng.choice(body["messages"])
            if not isinstance(message, dict):
                continue
            if action < 0.9:
                message[rng.choice(MESSAGE_FIELDS)] = copy.deepcopy(rng.choice(ODD_VALUES))
            elif message:
                message.pop(rng.choice(list(message)))
            else:
                body["messages"].append(rng.choice(ODD_VALUES))
    return body if rng.random() > 0.02 else rng.choice(ODD_VALUES)


@pytest.mark.parametrize("body", COMMON, ids=range(len(COMMON)))
def test_common_shapes_take_the_fast_path(body: dict[str, Any]) -> None:
    assert not list(_chat_validator().iter_errors(body))
    assert _chat_fast_check()(body) == VALID


def test_fast_path_never_accepts_what_jsonschema_rejects() -> None:
    rng = random.Random(20240611)
    fast, validator = _chat_fast_check(), _chat_validator()
    verdicts = {VALID: 0, INVALID: 0, UNSURE: 0}
    rejected_by_jsonschema = 0
    for _ in range(6000):
        body = _mutate(rng.choice(COMMON), rng)
        verdict = fast(body)
        verdicts[verdict] += 1
        errors = list(validator.iter_errors(body))
        rejected_by_jsonschema += bool(errors)
        if verdict == VALID:
            assert not errors, (body, [error.message for error in errors])
    assert verdicts[VALID] > 300 and rejected_by_jsonschema > 1000  # both sides were exercised


@pytest.mark.parametrize(("schema", "value", "expected"), [
    ({"type": "integer", "minimum": 1}, 1, VALID),
    ({"type": "integer", "minimum": 1}, 0, UNSURE),
    ({"type": "integer"}, 1.0, UNSURE),  # an integer in 2020-12: left to jsonschema
    ({"type": "integer"}, True, INVALID),
    ({"type": "number", "exclusiveMinimum": 0}, 0, UNSURE),
    ({"type": "string", "pattern": "^a"}, "a", UNSURE),  # a keyword it does not know
    ({"type": "string", "pattern": "^a"}, 3, INVALID),
    ({"enum": [1, 2]}, 1, UNSURE),
    ({"oneOf": [{"type": "string"}, {"type": "array"}]}, "s", VALID),
    ({"oneOf": [{"type": "string"}, {"type": "string", "enum": ["s"]}]}, "s", UNSURE),  # two branches match
    ({"oneOf": [{"type": "string"}, {"type": "array"}]}, 3, UNSURE),  # INVALID only for its own type mismatch
    ({"type": "array", "oneOf": [{"type": "string"}]}, 3, INVALID),
    ({"type": "object", "required": ["a"], "dependentSchemas": {"b": {"required": ["c"]}}}, {"a": 1}, VALID),
    ({"type": "object", "required": ["a"], "dependentSchemas": {"b": {"required": ["c"]}}}, {"a": 1, "b": 2}, UNSURE),
    ({"$ref": "#/$defs/node", "$defs": {}}, {}, UNSURE),
    ({"$ref": "#/node"}, {"next": {"next": {}}}, VALID),
    ({"$ref": "#/node"}, {"next": {"next": 3}}, UNSURE),
])
def test_verdicts(schema: dict[str, Any], value: Any, expected: int) -> None:
    document = {"node": {"type": "object", "properties": {"next": {"$ref": "#/node"}}}}
    assert compile_schema(schema, document)(value) == expected


def test_fast_check_is_built_from_the_spec() -> None:
    assert compile_schema(request_body_schema(CHAT_PATH, "post"))(COMMON[0]) == VALID
    assert _chat_fast_check()({"model": "m", "messages": []}) == UNSURE  # minItems 1
