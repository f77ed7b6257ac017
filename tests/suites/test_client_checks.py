"""The client gateway's checks on crafted exchanges, its target options, and its tests' skips against the reference."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aigw_conformance.mocks.reference.stack import ReferenceStack
from aigw_conformance.suites.checks import CHECKS
from aigw_conformance.suites.checks.shapes import response_component
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.runner import run
from aigw_conformance.suites.selftest import pointed_at, reference_settings
from aigw_conformance.suites.target import REFERENCE_TARGET, ClientOptions, Target, TargetError, load_target
from tests.suites.outcomes import outcome as run_check

REQUEST = {"model": "gpt-4", "messages": [{"role": "user", "content": "Hello"}]}
COMPLETION = {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4",
              "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}],
              "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}
GUARDRAIL = {"error": {"message": "Content blocked by guardrail", "type": "guardrail_block",
                       "guardrail_key": "pii-checker", "action": "block",
                       "findings": [{"category": "email", "message": "PII detected"}]}}


def exchange(body: Any, *, status: int = 200, api: str = "client", request: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None, context: dict[str, Any] | None = None,
             content_type: str = "application/json") -> Exchange:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Exchange(api=api, operation="POST /chat/completions", method="POST", url="http://t/chat/completions",
                    request_headers={}, request_json=request if request is not None else dict(REQUEST),
                    status=status, headers=httpx.Headers({"content-type": content_type, **(headers or {})}),
                    body=raw, elapsed_s=0.01, context=dict(context or {}))


def outcome(name: str, ex: Exchange) -> str | None:
    return run_check(name, ex, must_apply="auto")


def stream(chunks: list[dict[str, Any]]) -> bytes:
    return "".join(f"data: {json.dumps(c)}\n\n" for c in chunks).encode() + b"data: [DONE]\n\n"


def chunk(finish: str | None = None, content: str = "x") -> dict[str, Any]:
    return {"id": "c", "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}]}


# --- spec lookups by API --------------------------------------------------------------------------------------


def test_shape_checks_read_the_schema_of_the_exchange_s_own_api() -> None:
    assert response_component(exchange(COMPLETION), "application/json") == "ClientChatCompletionResponse"
    assert response_component(exchange(COMPLETION, api="ai"), "application/json") == "ChatCompletionResponse"
    assert response_component(exchange(b"", api="ai"), "text/event-stream") == "ChatCompletionChunk"
    assert response_component(exchange(b""), "text/event-stream") == "ClientChatCompletionChunk"
    # A client completion without `created` is fine on the client API (002's example has none), not on the AI API.
    assert outcome("chat.response_shape", exchange(COMPLETION)) is None
    assert "created" in (outcome("chat.response_shape", exchange(COMPLETION, api="ai")) or "")


def test_ai_only_checks_stay_off_the_client_api() -> None:
    error = exchange({"error": {"message": "no", "type": "x"}}, status=401)
    assert not CHECKS["errors.x_error"].applies_to(error) and not CHECKS["errors.x_error_id"].applies_to(error)
    assert CHECKS["errors.envelope"].applies_to(error) and CHECKS["client.x_request_id_on_error"].applies_to(error)
    assert not CHECKS["client.x_request_id"].applies_to(exchange(COMPLETION, api="ai"))


def test_a_provoked_provider_failure_is_not_held_to_the_documented_statuses() -> None:
    failed = exchange({"error": {"message": "provider", "type": "provider_error"}}, status=502)
    assert "502 is not documented" in (outcome("errors.status_documented", failed) or "")
    assert not CHECKS["errors.status_documented"].applies_to(
        exchange(b"{}", status=502, context={"injected_fault": True}))


# --- request IDs ----------------------------------------------------------------------------------------------


def test_x_request_id_on_every_response() -> None:
    streamed = {**REQUEST, "stream": True}
    shown = exchange(stream([chunk("stop")]), request=streamed, content_type="text/event-stream",
                     headers={"x-request-id": "req_1"})
    assert outcome("client.x_request_id", shown) is None
    bare = exchange(stream([chunk("stop")]), request=streamed, content_type="text/event-stream")
    assert "missing" in (outcome("client.x_request_id", bare) or "")
    # 002 shows the header on the stream only: on a JSON reply its absence is a convention failure.
    assert not CHECKS["client.x_request_id"].applies_to(exchange(COMPLETION))
    assert outcome("client.x_request_id_on_json", exchange(COMPLETION, headers={"x-request-id": "req_1"})) is None
    assert "convention" in (outcome("client.x_request_id_on_json", exchange(COMPLETION)) or "")
    assert CHECKS["client.x_request_id_on_json"].inferred and not CHECKS["client.x_request_id"].inferred
    refused = exchange(GUARDRAIL, status=400)
    assert "no `X-Request-Id`" in (outcome("client.x_request_id_on_error", refused) or "")


def test_request_id_echoed_in_header_and_body() -> None:
    sent = {**REQUEST, "request_id": "corr 42"}
    good = exchange({**COMPLETION, "request_id": "corr 42"}, request=sent, headers={"x-request-id": "corr%2042"})
    assert outcome("client.request_id_echoed", good) is None  # percent-encoded in the header is the same ID
    # 002's own example sends "optional-correlation-id" and is answered "request_id": "req_abc123": the gateway's
    # own ID is as good as the echo.
    fresh = exchange({**COMPLETION, "request_id": "req_9"}, request=sent, headers={"x-request-id": "req_9"})
    assert outcome("client.request_id_echoed", fresh) is None
    assert outcome("client.request_id_echoed", exchange({**COMPLETION, "request_id": "req_9"}, request=sent)) is None
    two_ids = exchange({**COMPLETION, "request_id": "req_9"}, request=sent, headers={"x-request-id": "corr 42"})
    assert "one request has one ID" in (outcome("client.request_id_echoed", two_ids) or "")
    missing = exchange(COMPLETION, request=sent, headers={"x-request-id": "corr 42"})
    assert "response's request_id is None" in (outcome("client.request_id_echoed", missing) or "")
    streamed = exchange(stream([chunk("stop")]), request={**sent, "stream": True}, content_type="text/event-stream",
                        headers={"x-request-id": "corr 42"})
    assert outcome("client.request_id_echoed", streamed) is None  # chunks carry no request_id
    assert not CHECKS["client.request_id_echoed"].applies_to(exchange(COMPLETION))


def test_generated_request_ids_are_present_consistent_and_unique() -> None:
    def generated(body_id: Any, header: str, seen: tuple[str, ...] = ()) -> str | None:
        ex = exchange({**COMPLETION, "request_id": body_id}, headers={"x-request-id": header},
                      context={"seen_request_ids": seen})
        return outcome("client.request_id_generated", ex)

    assert generated("req_1", "req_1", ("req_0",)) is None
    assert "already given" in (generated("req_1", "req_1", ("req_1",)) or "")
    assert "request_id is None" in (generated(None, "req_1") or "")
    assert "one request has one ID" in (generated("req_1", "req_2") or "")


# --- statuses, Retry-After, guardrails --------------------------------------------------------------------------


@pytest.mark.parametrize("name, status", [
    ("client.bad_request_400", 400), ("client.invalid_token_401", 401), ("client.unknown_model_404", 404),
    ("client.non_llm_422", 422), ("client.rate_limited_429", 429), ("client.quota_exceeded_429", 429),
    ("client.breaker_open_503", 503),
])
def test_status_checks(name: str, status: int) -> None:
    body = {"error": {"message": "m", "type": "t"}}
    assert outcome(name, exchange(body, status=status)) is None
    assert f"expected {status}" in (outcome(name, exchange(COMPLETION)) or "")


def test_a_missing_field_is_no_guardrail_block() -> None:
    assert "guardrail block" in (outcome("client.bad_request_400", exchange(GUARDRAIL, status=400)) or "")


@pytest.mark.parametrize("value, ok", [("30", True), ("Wed, 21 Oct 2015 07:28:00 GMT", True), (None, False),
                                       ("soon", False), ("-1", False)])
def test_retry_after(value: str | None, ok: bool) -> None:
    headers = {"retry-after": value} if value is not None else {}
    message = outcome("client.retry_after", exchange({"error": {}}, status=429, headers=headers))
    assert (message is None) is ok, message


def test_guardrail_block_body() -> None:
    assert outcome("client.guardrail_block", exchange(GUARDRAIL, status=400)) is None
    bare = {"error": {"message": "blocked", "type": "guardrail_block"}}
    assert "GuardrailErrorResponse" in (outcome("client.guardrail_block", exchange(bare, status=400)) or "")
    empty = {"error": {**GUARDRAIL["error"], "findings": []}}
    assert "no findings" in (outcome("client.guardrail_block", exchange(empty, status=400)) or "")
    assert "expected 400" in (outcome("client.guardrail_block", exchange(COMPLETION)) or "")


def test_output_content_filter_streamed_and_whole() -> None:
    def streamed(last: str) -> Exchange:
        return exchange(stream([chunk(), chunk(last, "")]), request={**REQUEST, "stream": True},
                        content_type="text/event-stream")

    assert outcome("client.output_content_filter", streamed("content_filter")) is None
    assert "relayed it" in (outcome("client.output_content_filter", streamed("stop")) or "")
    filtered = {**COMPLETION, "choices": [{**COMPLETION["choices"][0], "finish_reason": "content_filter"}]}
    assert outcome("client.output_content_filter", exchange(filtered)) is None
    assert outcome("client.output_content_filter", exchange(COMPLETION)) is not None


# --- target options and the reference's settings -----------------------------------------------------------------


def test_the_target_file_s_client_options(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text('[client]\ntoken = "cgt_a"\nlimited_token = "cgt_l"\nrate_limit = 4\nfault_header = "x-f"\n'
                    'breaker_threshold = 2\n[models]\nchat = "gpt-5"\nclient_chat = "gpt-4"\n')
    target = load_target(path)
    assert target.client == ClientOptions(limited_token="cgt_l", rate_limit=4, fault_header="x-f",
                                          breaker_threshold=2)
    assert target.auth_headers("client") == {"authorization": "Bearer cgt_a"}
    assert target.client_model("stream") == "gpt-4" and target.client_model("non_llm", fallback=False) is None
    assert Target(models={"chat": "gpt-5"}).client_model() is None  # never the AI API's model
    for bad in ('rate_limit = 0', 'rate_limit = "3"', 'breaker_threshold = true', 'quota_token = ""'):
        path.write_text(f"[client]\n{bad}\n")
        with pytest.raises(TargetError, match=r"\[client\]"):
            load_target(path)


def test_reference_settings_follow_the_target_file() -> None:
    settings = reference_settings(load_target(REFERENCE_TARGET))
    assert settings["client_tokens"] == ("cgt_dev-token", "cgt_limited-token", "cgt_quota-token")
    assert settings["client_token_rate_limits"] == {"cgt_limited-token": 3}
    assert settings["client_token_quotas"] == {"cgt_quota-token": 1}
    assert settings["client_breaker_threshold"] == 3
    with pytest.raises(TargetError, match="limited_token"):
        reference_settings(Target(client=ClientOptions(rate_limit=3)))


# --- against the reference --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack() -> Iterator[ReferenceStack]:
    with ReferenceStack() as running:
        yield running


def test_client_tests_skip_naming_the_option_they_need(stack: ReferenceStack) -> None:
    bare = Target(name="bare", models={"client_chat": "gpt-4"})
    report = run(pointed_at(bare, stack), only=["client."])
    outcomes = {result.id: (result.outcome, result.message) for result in report.results}
    assert all(outcome == "passed" for test, (outcome, _) in outcomes.items()
               if test not in {"client.errors.non_llm", "client.errors.rate_limit", "client.errors.quota",
                               "client.errors.breaker_open", "client.guardrail.output_stream"}), outcomes
    for test, key in [("client.errors.non_llm", "client_non_llm"), ("client.errors.rate_limit", "rate_limit"),
                      ("client.errors.quota", "quota_token"), ("client.errors.breaker_open", "fault_header"),
                      ("client.guardrail.output_stream", "output_pii_hook")]:
        assert outcomes[test][0] == "skipped" and key in outcomes[test][1], (test, outcomes[test])


def test_client_tests_skip_without_a_client_token_or_base_url(stack: ReferenceStack) -> None:
    target = Target(name="no-token", client_base_url=stack.client_base_url, models={"client_chat": "gpt-4"})
    results = run(target, only=["client.chat.hello"]).results
    assert [(r.outcome, "[client] token" in r.message) for r in results] == [("skipped", True)]
    results = run(Target(name="no-base"), only=["client.chat.hello"]).results
    assert results[0].outcome == "skipped" and "--client-base-url" in results[0].message
