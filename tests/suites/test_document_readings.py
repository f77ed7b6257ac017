"""Readings the documents contradict, fixed: vendor extensions are legal, n=128 only where n is honoured."""

from __future__ import annotations

import json
from typing import Any

import httpx

from aigw_conformance.suites.checks import run_checks
from aigw_conformance.suites.conformance.registry import TESTS, TestContext
from aigw_conformance.suites.conformance.validation_tests import RANGES
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.target import Target
from tests.spec.replay import PAIRINGS, by_id, exchange_for
from tests.suites.outcomes import outcome

MODEL = {"id": "gpt-5", "object": "model", "created": 1, "owned_by": "openai", "provider": "openai",
         "capabilities": ["chat"], "max_input_tokens": 1000, "max_completion_tokens": 100, "max_total_tokens": 1100}


def retrieved(body: dict[str, Any], listed: dict[str, Any], status: int = 200) -> Exchange:
    return Exchange(api="ai", operation="GET /models/gpt-5", method="GET", url="http://t/models/gpt-5",
                    request_headers={}, request_json=None, status=status, body=json.dumps(body).encode(),
                    elapsed_s=0.01, context={"listed": listed},
                    headers=httpx.Headers({"content-type": "application/json"}))


def test_a_vendor_s_extension_on_either_side_is_not_compared() -> None:
    """Decision vendor_extensions: a field the documents do not name may be on the record and not the entry."""
    extended = {**MODEL, "x_vendor_pricing": {"input": 1.25}, "context_window": 400_000}
    assert outcome("models.retrieve_matches_list", retrieved(extended, MODEL)) is None
    assert outcome("models.retrieve_matches_list", retrieved(MODEL, extended)) is None
    changed = {**extended, "max_completion_tokens": 50}
    assert "['max_completion_tokens']" in (outcome("models.retrieve_matches_list", retrieved(changed, MODEL)) or "")
    assert "gives 404" in (outcome("models.retrieve_matches_list", retrieved({}, MODEL, status=404)) or "")


def test_validation_n_sends_128_only_to_a_model_that_honours_n() -> None:
    """Decision n.restricted: n=128 is inside 1-128 but a provider may restrict it; 0 and 129 are refused by all."""
    documented = next(entry for entry in RANGES if entry.name == "n")
    assert {"n": 128} in documented.honoured and {"n": 128} not in documented.inside
    assert {"n": 1} in documented.inside and {"n": 129} in documented.outside and {"n": 0} in documented.outside


def _with_extensions(value: Any) -> Any:
    """`value` with a vendor's field added to every object in it."""
    if isinstance(value, dict):
        return {**{key: _with_extensions(item) for key, item in value.items()}, "x_vendor_trace": {"hop": 1}}
    if isinstance(value, list):
        return [_with_extensions(item) for item in value]
    return value


def test_vendor_extensions_anywhere_in_a_body_or_chunk_fail_no_check() -> None:
    """000's Success Response and 002's stream with a vendor's field in every object pass as they do without."""
    examples = by_id()
    for pairing in (PAIRINGS[0], next(p for p in PAIRINGS if p.answer == "002:L55")):
        plain = exchange_for(pairing, examples)
        extended = exchange_for(pairing, examples)
        if pairing.media_type == "text/event-stream":
            chunks = [json.loads(event.data) for event in plain.sse.events if event.data != "[DONE]"]
            extended.body = b"".join(f"data: {json.dumps(_with_extensions(c))}\n\n".encode() for c in chunks)
            extended.body += b"data: [DONE]\n\n"
        else:
            extended.body = json.dumps(_with_extensions(plain.json)).encode()
        assert b"x_vendor_trace" in extended.body
        failed = {o.check.name for o in run_checks(plain) if o.failure}
        assert {o.check.name: o.failure for o in run_checks(extended) if o.failure and o.check.name not in failed} == {}


class RecordingProbe:
    """Answers every request 200 with one choice and records the bodies sent (a gateway that restricts n)."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, api: str, base_url: str, method: str, path: str, **given: Any) -> Exchange:
        body = given.get("json_body") or {}
        self.sent.append(body)
        answer = {"id": "c", "object": "chat.completion", "created": 1, "model": body.get("model"), "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
        return Exchange(api=api, operation=f"{method} {path}", method=method, url=base_url + path,
                        request_headers={}, request_json=body, status=200, body=json.dumps(answer).encode(),
                        elapsed_s=0.01, context=dict(given.get("context") or {}), label=given.get("label", ""),
                        headers=httpx.Headers({"content-type": "application/json"}))


def _run(test_id: str, target: Target) -> tuple[TestContext, RecordingProbe]:
    recording = RecordingProbe()
    context = TestContext(target=target, probe=recording)  # type: ignore[arg-type]
    TESTS[test_id].function(context)
    return context, recording


def test_n_128_goes_only_to_a_model_that_honours_n_and_one_choice_passes_elsewhere() -> None:
    target = Target(base_url="http://gw/api/ai/v1", token="t", models={"chat": "gemini-3-flash", "n": "gpt-5"},
                    model_lists={"n": ("gpt-5",)})
    context, recording = _run("validation.n", target)
    assert [(body["model"], body["n"]) for body in recording.sent if body.get("n") in (1, 128)] == [
        ("gemini-3-flash", 1), ("gpt-5", 128)]
    # gpt-5 answering n=128 with one choice is the defect n-ignored: its failure is recorded; nothing else fails.
    assert {(f.check, "n=128" in f.message) for f in context.failures} >= {("chat.choice_indices", True)}
    assert all("gpt-5" in f.message or "n=0" in f.message or "n=129" in f.message for f in context.failures)
    none = Target(base_url="http://gw/api/ai/v1", token="t", models={"chat": "gemini-3-flash"}, model_lists={"n": ()})
    _, recording = _run("validation.n", none)
    assert 128 not in [body.get("n") for body in recording.sent]
