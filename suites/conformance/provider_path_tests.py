"""Conformance tests run on every chat model the target lists (one per provider at least): each provider's path."""

# The error and validation tests of error_tests.py and validation_tests.py use the first chat model only, so a
# check the gateway skips on one provider's path passed unseen. These send the key invalid requests, and two
# identical valid ones, to every model of `[models] chat`; each exchange's label names the model, so a failure
# says which provider's path broke.

from __future__ import annotations

import time
from typing import Any

from aigw_conformance.suites.checks.identity import answer_id
from aigw_conformance.suites.conformance.chat_tests import QUESTION
from aigw_conformance.suites.conformance.registry import TestContext, conformance_test
from aigw_conformance.suites.features import Feature
from aigw_conformance.suites.grounds import ABOUT

CHAT = "/chat/completions"
# 000: "400 Bad Request Invalid JSON, empty messages, invalid role, parameter out of range, ...": the documented
# causes, refused whatever provider serves the model (000's "unsupported parameters are silently ignored" is about
# a valid parameter a provider lacks, not about a value outside the API's own range).
INVALID: tuple[tuple[str, str, dict[str, Any], str], ...] = (
    ("empty_messages", "messages: [] (000: 'Message history for context (minimum 1)')", {"messages": []},
     "http.bad_request_400"),
    ("invalid_role", "role: wizard", {"messages": [{"role": "wizard", "content": "hi"}]}, "http.bad_request_400"),
    ("n_zero", "n: 0 (000: 1-128)", {"n": 0}, "validation.rejects_out_of_range"),
    ("logit_bias_range", "logit_bias 101 (000: 'token_id: -100 to 100')", {"logit_bias": {"1734": 101}},
     "validation.rejects_out_of_range"),
    ("service_tier_unknown", "service_tier: platinum (000: auto, default, flex, priority)",
     {"service_tier": "platinum"}, "validation.rejects_out_of_range"),
)


def _register(name: str, what: str, change: dict[str, Any], expected: str) -> None:
    # a range failure quotes the sentence of the one parameter sent out of range (its traceability item)
    about = {ABOUT: f"chat.param.{next(iter(change))}"} if expected.startswith("validation.") else {}

    def run(t: TestContext) -> None:
        for model in t.models("chat"):
            body = {"model": model, "messages": QUESTION, "max_completion_tokens": 8, **change}
            t.send("POST", CHAT, json_body=body, label=f"model {model}: {what}", expect=[expected], context=about)

    run.__doc__ = f"{what} is refused with 400 on every chat model the target lists, each provider's path"
    features = (Feature.ERROR_HEADERS,) if expected == "http.bad_request_400" else (Feature.PARAMETER_VALIDATION,)
    conformance_test(f"provider_path.{name}", features=features)(run)


for _name, _what, _change, _expected in INVALID:
    _register(_name, _what, _change, _expected)


def _twice(t: TestContext, model: str, stream: bool) -> None:
    body: dict[str, Any] = {"model": model, "messages": QUESTION, "max_completion_tokens": 8,
                            **({"stream": True} if stream else {})}
    how = ", streamed" if stream else ""
    sent_at = time.time()
    first = t.send("POST", CHAT, json_body=body, label=f"model {model}{how}, first of two identical requests",
                   context={"sent_at": sent_at}, expect=["http.success", "identity.created_recent"])
    if first.status != 200:
        return
    try:
        first_id = answer_id(first)
    except ValueError:
        return  # not JSON: the auto checks said so
    t.send("POST", CHAT, json_body=body, label=f"model {model}{how}, the same request again",
           context={"sent_at": time.time(), "first_id": first_id},
           expect=["http.success", "identity.unique_id", "identity.created_recent"])


@conformance_test("provider_path.identity", features=(Feature.CHAT,))
def identity(t: TestContext) -> None:
    """Two identical requests get two different ids, each `created` the time of the request (000: 'id string
    Unique interaction identifier', 'created integer Unix timestamp of creation'), on every chat model."""
    streaming = t.target.skip_reason(Feature.CHAT_STREAMING) is None
    for model in t.models("chat"):
        _twice(t, model, stream=False)
        if streaming:
            _twice(t, model, stream=True)
