"""The reference's client gateway (002): request IDs, model keys, guardrails, limits, breaker, its defects."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI

from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.reference import GatewaySettings, ReferenceStack, create_app
from aigw_conformance.mocks.reference.client.breaker import Breakers
from aigw_conformance.mocks.reference.client.errors import ClientError
from aigw_conformance.mocks.reference.client.guardrails import luhn_valid, scan
from aigw_conformance.mocks.reference.client.limits import Quota, RateLimiter
from aigw_conformance.mocks.reference.defects import CLIENT_DEFECTS
from aigw_conformance.spec.loader import component_validator
from aigw_conformance.suites import sse

TOKEN = "cgt_dev-token"
CLIENT = "/api/client/v1"
GENERATED = re.compile(r"^req_[0-9a-f]{32}$")
CHAT = {"model": "gpt-4", "messages": [{"role": "user", "content": "What is XDR?"}], "max_tokens": 12}
DETECTORS = ("email", "phone", "credit_card")


def schema_errors(name: str, body: Any) -> list[str]:
    return [error.message for error in component_validator(name).iter_errors(body)]


@pytest.fixture(scope="module")
def gateway(stack: ReferenceStack) -> Iterator[httpx.Client]:
    """The clean stack's client gateway, authenticated."""
    headers = {"authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=stack.gateway_url + CLIENT, headers=headers, timeout=30, trust_env=False) as http:
        yield http


@contextmanager
def custom(stack: ReferenceStack, **overrides: Any) -> Iterator[httpx.Client]:
    """A second gateway over the same mocks with other settings (limits, breaker, defects)."""
    base = {"upstreams": stack.settings.upstreams, "forward_headers": stack.settings.forward_headers,
            "client_test_hooks": stack.settings.client_test_hooks}
    settings = GatewaySettings(**{**base, **overrides})
    headers = {"authorization": f"Bearer {settings.client_tokens[0]}"}
    with ServerThread(create_app(settings), name="client-gateway") as server, \
            httpx.Client(base_url=server.base_url + CLIENT, headers=headers, timeout=30, trust_env=False) as http:
        yield http


def chunks_of(reply: httpx.Response) -> list[dict[str, Any]]:
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/event-stream")
    data = [event.data for event in sse.parse(reply.content).events]
    assert data[-1] == "[DONE]", data[-2:]
    return [json.loads(item) for item in data[:-1]]


def text_of(chunks: list[dict[str, Any]]) -> str:
    return "".join(choice["delta"].get("content") or "" for chunk in chunks for choice in chunk["choices"])


def check_error(reply: httpx.Response, status: int, error_type: str, *, schema: str = "ClientErrorResponse") -> dict[
        str, Any]:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    assert schema_errors(schema, body) == []
    assert body["error"]["type"] == error_type
    assert reply.headers["x-request-id"] == body["request_id"]
    assert "Traceback" not in reply.text
    return dict(body["error"])


# --- success paths: JSON and SSE, request IDs -------------------------------------------------------------


def test_sdk_completion_echoes_the_request_id(stack: ReferenceStack) -> None:
    with OpenAI(base_url=stack.gateway_url + CLIENT, api_key=TOKEN, max_retries=0) as sdk:
        raw = sdk.chat.completions.with_raw_response.create(
            model="gpt-4", messages=[{"role": "user", "content": "Hello"}], max_tokens=10,
            extra_body={"request_id": "corr-42"})
        completion = raw.parse()
    assert raw.headers["x-request-id"] == "corr-42"
    assert completion.model == "gpt-4" and completion.choices[0].message.content
    assert (completion.model_extra or {})["request_id"] == "corr-42"
    assert schema_errors("ClientChatCompletionResponse", json.loads(raw.content)) == []


def test_a_request_id_is_generated_when_absent(gateway: httpx.Client) -> None:
    first, second = gateway.post("/chat/completions", json=CHAT), gateway.post("/chat/completions", json=CHAT)
    ids = [reply.json()["request_id"] for reply in (first, second)]
    assert all(GENERATED.match(value) for value in ids) and ids[0] != ids[1]
    assert [first.headers["x-request-id"], second.headers["x-request-id"]] == ids


def test_header_unsafe_request_ids_are_echoed_verbatim_and_percent_encoded_in_the_header(
    gateway: httpx.Client,
) -> None:
    reply = gateway.post("/chat/completions", json={**CHAT, "request_id": " café\n"})
    assert reply.json()["request_id"] == " café\n"
    assert reply.headers["x-request-id"] == "%20caf%C3%A9%0A"


def test_sdk_stream(stack: ReferenceStack) -> None:
    with OpenAI(base_url=stack.gateway_url + CLIENT, api_key=TOKEN, max_retries=0) as sdk:
        stream = sdk.chat.completions.create(model="gpt-5", messages=[{"role": "user", "content": "Hi"}],
                                             stream=True, max_tokens=10, extra_body={"request_id": "s-1"})
        chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert chunks[-1].usage is None and chunks[-1].choices[0].finish_reason == "length"


def test_stream_framing_header_and_chunk_schema(gateway: httpx.Client) -> None:
    reply = gateway.post("/chat/completions", json={**CHAT, "stream": True, "request_id": "s-2"})
    chunks = chunks_of(reply)
    assert reply.headers["x-request-id"] == "s-2"
    assert all(schema_errors("ClientChatCompletionChunk", chunk) == [] for chunk in chunks)
    assert all("usage" not in chunk for chunk in chunks)  # asked for upstream (quota), not relayed


def test_stream_usage_when_asked(gateway: httpx.Client) -> None:
    reply = gateway.post("/chat/completions", json={**CHAT, "stream": True,
                                                    "stream_options": {"include_usage": True}})
    assert chunks_of(reply)[-1]["usage"]["total_tokens"] > 0


# --- errors ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "Bearer dev-token", "Basic Y2d0"])
def test_invalid_token_401(gateway: httpx.Client, authorization: str | None) -> None:
    headers = {"authorization": authorization} if authorization else {}
    client = httpx.Client(base_url=gateway.base_url, headers=headers, trust_env=False)
    with client:
        reply = client.post("/chat/completions", json={**CHAT, "request_id": "r-401"})
        traced = client.post("/chat/completions", json=CHAT, headers={"x-request-id": "h-401"})
    assert check_error(reply, 401, "authentication_error")["message"] == "Invalid API token"
    # refused before the body is read (tests/reference/test_auth_before_body.py): an ID of its own, or the header's
    assert GENERATED.match(reply.json()["request_id"])
    assert check_error(traced, 401, "authentication_error") and traced.json()["request_id"] == "h-401"


def test_the_ai_api_rejects_client_tokens(stack: ReferenceStack) -> None:
    reply = httpx.post(stack.base_url + "/chat/completions", json={**CHAT, "model": "gpt-5"},
                       headers={"authorization": f"Bearer {TOKEN}"}, trust_env=False)
    assert reply.status_code == 401


@pytest.mark.parametrize("body, param", [
    ({"messages": CHAT["messages"]}, "model"), ({"model": "gpt-4"}, "messages"), ({}, "model"),
    ({**CHAT, "temperature": 3}, "temperature"), ({**CHAT, "messages": [{"role": "bot", "content": "x"}]}, None),
])
def test_invalid_requests_400(gateway: httpx.Client, body: dict[str, Any], param: str | None) -> None:
    error = check_error(gateway.post("/chat/completions", json={**body, "request_id": "r-400"}), 400,
                        "invalid_request_error")
    assert param is None or error["param"] == param


def test_malformed_json_400_with_a_generated_id(gateway: httpx.Client) -> None:
    reply = gateway.post("/chat/completions", content=b"{not json", headers={"content-type": "application/json"})
    check_error(reply, 400, "invalid_request_error")
    assert GENERATED.match(reply.headers["x-request-id"])


def test_model_keys_404_and_422(gateway: httpx.Client) -> None:
    missing = check_error(gateway.post("/chat/completions", json={**CHAT, "model": "gpt-9"}), 404, "not_found_error")
    assert missing["message"].startswith("Model not found")
    reply = gateway.post("/chat/completions", json={**CHAT, "model": "text-embedding-3-small"})
    assert check_error(reply, 422, "invalid_request_error")["message"].startswith("Model is not an LLM")


def test_sdk_error_classes(stack: ReferenceStack) -> None:
    messages: Any = [{"role": "user", "content": "hi"}]
    with OpenAI(base_url=stack.gateway_url + CLIENT, api_key="cgt_nope", max_retries=0) as bad, \
            pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="gpt-4", messages=messages)
    with OpenAI(base_url=stack.gateway_url + CLIENT, api_key=TOKEN, max_retries=0) as sdk:
        with pytest.raises(openai.NotFoundError):
            sdk.chat.completions.create(model="gpt-9", messages=messages)
        with pytest.raises(openai.UnprocessableEntityError):
            sdk.chat.completions.create(model="whisper-1", messages=messages)


def test_unknown_route_and_method_keep_the_client_shape(gateway: httpx.Client) -> None:
    check_error(gateway.get("/chat/completions"), 405, "invalid_request_error")
    check_error(gateway.post("/embeddings", json={}), 404, "not_found_error")


# --- guardrails --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, found", [
    ("write to jane.doe@example.com", ["email"]),
    ("call +1 415-555-0134 today", ["phone"]), ("call (415) 555-0134.", ["phone"]),
    ("pay with 4111 1111 1111 1111", ["credit_card"]), ("card 5500-0000-0000-0004", ["credit_card"]),
    ("order 4111 1111 1111 1112 shipped", []),  # fails Luhn, and a long digit run is no phone number
    ("host 192.168.100.200 on 2024-01-15, port 8443", []), ("What is XDR?", []),
    ("a@b.io or 415.555.0134", ["email", "phone"]),
])
def test_detectors(text: str, found: list[str]) -> None:
    assert scan(text, DETECTORS) == found


def test_luhn() -> None:
    assert luhn_valid("4111111111111111") and luhn_valid("79927398713") and not luhn_valid("79927398710")


@pytest.mark.parametrize("content, category", [
    ("my mail is jane.doe@example.com", "email"), ("ring +44 20 7946 0958", "phone"),
    ("card 4111-1111-1111-1111 exp 12/29", "credit_card"),
])
def test_input_pii_is_blocked(gateway: httpx.Client, content: str, category: str) -> None:
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": content}]
    reply = gateway.post("/chat/completions", json={**CHAT, "messages": messages, "request_id": "g-1"})
    error = check_error(reply, 400, "guardrail_block", schema="GuardrailErrorResponse")
    assert error == {"message": "Content blocked by guardrail", "type": "guardrail_block",
                     "guardrail_key": "pii-checker", "action": "block",
                     "findings": [{"category": category, "message": "PII detected"}]}
    assert reply.headers["x-request-id"] == "g-1"


def test_stream_output_pii_ends_with_content_filter(gateway: httpx.Client) -> None:
    reply = gateway.post("/chat/completions", json={**CHAT, "stream": True},
                         headers={"x-aigw-test-output-pii": "email"})
    chunks = chunks_of(reply)
    assert chunks[-1]["choices"][0]["finish_reason"] == "content_filter"
    assert "@" not in text_of(chunks) and text_of(chunks)  # the text before the PII was relayed
    assert len({chunk["id"] for chunk in chunks}) == 1


def test_whole_output_pii_is_filtered(gateway: httpx.Client) -> None:
    reply = gateway.post("/chat/completions", json=CHAT, headers={"x-aigw-test-output-pii": "credit_card"})
    choice = reply.json()["choices"][0]
    assert choice == {**choice, "finish_reason": "content_filter", "message": {**choice["message"], "content": None}}
    bad = gateway.post("/chat/completions", json=CHAT, headers={"x-aigw-test-output-pii": "ssn"})
    check_error(bad, 400, "invalid_request_error")


# --- rate limit, quota, circuit breaker ----------------------------------------------------------------------


def test_limiter_and_quota_arithmetic() -> None:
    now = [0.0]
    limiter, quota = RateLimiter(2, 10.0, lambda: now[0]), Quota(100, 60.0, lambda: now[0])
    assert limiter.acquire("a") is None and limiter.acquire("a") is None and limiter.acquire("a") == 10.0
    assert limiter.acquire("b") is None
    now[0] = 10.0
    assert limiter.acquire("a") is None
    quota.charge("a", 150)  # the period starts at the first use (t=10)
    now[0] = 20.0
    assert quota.remaining_wait("a") == 50.0 and quota.remaining_wait("b") is None
    now[0] = 70.0
    assert quota.remaining_wait("a") is None


def test_breaker_states() -> None:
    now = [0.0]
    breakers = Breakers(GatewaySettings(client_breaker_threshold=2, client_breaker_cooldown_s=5), lambda: now[0])
    for _ in range(2):
        breakers.admit("openai")
        breakers.record("openai", failed=True)
    with pytest.raises(ClientError) as refused:
        breakers.admit("openai")
    assert refused.value.status == 503 and refused.value.headers["retry-after"] == "5"
    now[0] = 5.0
    breakers.admit("openai")  # the one trial
    with pytest.raises(ClientError):
        breakers.admit("openai")
    breakers.record("openai", failed=True)
    assert breakers.state("openai") == "open"
    now[0] = 10.0
    breakers.admit("openai")
    breakers.record("openai", failed=False)
    assert breakers.state("openai") == "closed"


def test_rate_limit_429_per_token(stack: ReferenceStack) -> None:
    with custom(stack, client_tokens=("cgt_a", "cgt_b"), client_rate_limit=2, client_rate_window_s=30) as http:
        assert [http.post("/chat/completions", json=CHAT).status_code for _ in range(2)] == [200, 200]
        reply = http.post("/chat/completions", json={**CHAT, "request_id": "rl"})
        check_error(reply, 429, "rate_limit_exceeded")
        assert 1 <= int(reply.headers["retry-after"]) <= 30
        other = http.post("/chat/completions", json=CHAT, headers={"authorization": "Bearer cgt_b"})
        assert other.status_code == 200


def test_per_token_rate_limits_and_quotas(stack: ReferenceStack) -> None:
    tokens = ("cgt_main", "cgt_limited", "cgt_quota")
    with custom(stack, client_tokens=tokens, client_token_rate_limits={"cgt_limited": 1},
                client_token_quotas={"cgt_quota": 1}) as http:
        def post(token: str) -> httpx.Response:
            return http.post("/chat/completions", json=CHAT, headers={"authorization": f"Bearer {token}"})

        assert [post("cgt_limited").status_code for _ in range(2)] == [200, 429]
        assert "1 requests per 60 s" in post("cgt_limited").json()["error"]["message"]
        assert [post("cgt_quota").status_code for _ in range(2)] == [200, 429]
        check_error(post("cgt_quota"), 429, "quota_exceeded")
        assert [post("cgt_main").status_code for _ in range(3)] == [200, 200, 200]  # the defaults


def test_quota_429(stack: ReferenceStack) -> None:
    with custom(stack, client_quota_tokens=5, client_quota_period_s=600) as http:
        assert http.post("/chat/completions", json={**CHAT, "stream": True}).status_code == 200  # charged at end
        reply = http.post("/chat/completions", json=CHAT)
        check_error(reply, 429, "quota_exceeded")
        assert 590 <= int(reply.headers["retry-after"]) <= 600


def test_circuit_breaker_opens_half_opens_and_closes(stack: ReferenceStack) -> None:
    failing = {"x-mock-status": "503"}
    with custom(stack, client_breaker_threshold=2, client_breaker_cooldown_s=0.2) as http:
        def post(model: str = "gpt-4", headers: dict[str, str] | None = None) -> httpx.Response:
            return http.post("/chat/completions", json={**CHAT, "model": model}, headers=headers)

        assert post(headers={"x-mock-status": "429"}).status_code == 429  # a 4xx is no provider failure ...
        assert post(headers={"x-mock-status": "429"}).status_code == 429
        assert post().status_code == 200  # ... so the breaker is still closed
        check_error(post(headers=failing), 502, "provider_error")
        check_error(post(headers=failing), 502, "provider_error")
        opened = post()
        check_error(opened, 503, "circuit_open")
        assert opened.headers["retry-after"] == "1"
        assert post("gpt-oss-20b").status_code == 200  # per provider: threatwinds is fine
        time.sleep(0.25)
        check_error(post(headers=failing), 502, "provider_error")  # the trial fails: open again
        check_error(post(), 503, "circuit_open")
        time.sleep(0.25)
        assert post().status_code == 200 and post().status_code == 200  # the trial succeeds: closed


def test_unreachable_upstream_opens_the_breaker() -> None:
    dead = "http://127.0.0.1:9/v1"
    settings = GatewaySettings(upstreams={"openai": dead}, client_breaker_threshold=1, upstream_timeout_s=2)
    with ServerThread(create_app(settings)) as server:
        url, headers = server.base_url + CLIENT + "/chat/completions", {"authorization": f"Bearer {TOKEN}"}
        first, second = (httpx.post(url, json=CHAT, headers=headers, trust_env=False) for _ in range(2))
        check_error(first, 502, "provider_error")
        check_error(second, 503, "circuit_open")


def test_settings_are_checked(stack: ReferenceStack) -> None:
    with pytest.raises(ValueError, match="positive"):
        GatewaySettings(client_rate_limit=0)
    with pytest.raises(ValueError, match="positive"):
        GatewaySettings(client_token_quotas={"cgt_dev-token": 0})
    with pytest.raises(ValueError, match="not client tokens"):
        GatewaySettings(client_token_rate_limits={"cgt_other": 1})
    with pytest.raises(ValueError, match="PII detectors"):
        create_app(GatewaySettings(client_pii_detectors=frozenset({"ssn"})))
    assert GatewaySettings(client_tokens="cgt_x").client_tokens == ("cgt_x",)  # type: ignore[arg-type]


# --- defects -----------------------------------------------------------------------------------------------


def _post(http: httpx.Client, **changes: Any) -> httpx.Response:
    headers = changes.pop("headers", None)
    return http.post("/chat/completions", json={**CHAT, **changes}, headers=headers)


def _429_without_retry_after(http: httpx.Client) -> bool:
    third = [_post(http) for _ in range(3)][-1]
    assert third.status_code == 429
    return "retry-after" not in third.headers


def _same_generated_id(http: httpx.Client) -> bool:
    first, second = (_post(http).json()["request_id"] for _ in range(2))
    assert GENERATED.match(first) and GENERATED.match(second)
    return first == second


# user → assistant (tool_calls) → tool (tool_call_id); and a tool message as 002 shows it, without tool_call_id.
TOOL_CALL = {"id": "call_1", "type": "function", "function": {"name": "scan", "arguments": "{}"}}
TOOL_RESULT = [{"role": "user", "content": "Scan it"}, {"role": "assistant", "content": "", "tool_calls": [TOOL_CALL]},
               {"role": "tool", "tool_call_id": "call_1", "content": "clean"}]
BARE_TOOL = [{"role": "user", "content": "Scan it"}, {"role": "tool", "content": "clean"}]


def test_tool_messages(gateway: httpx.Client) -> None:
    """A tool result naming its call is answered; a bare tool message (002's format) is refused with 400 naming
    the missing tool_call_id, the same for every provider (the vLLM-style one would take it as text)."""
    assert _post(gateway, messages=TOOL_RESULT).status_code == 200
    for model in ("gpt-4", "gpt-oss-20b"):
        refused = _post(gateway, model=model, messages=BARE_TOOL)
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"]["param"] == "messages[1].tool_call_id"


def _provider_429_lost(http: httpx.Client) -> bool:
    """A provider's 429 with Retry-After 7: relayed as 429 with it (002), or the 502 provider error without it."""
    reply = _post(http, headers={"x-mock-status": "429", "x-mock-retry-after": "7"})
    assert (reply.status_code, reply.headers.get("retry-after")) in ((429, "7"), (502, None)), reply.text
    return reply.status_code == 502


def _third_admitted(http: httpx.Client) -> bool:  # with a limit of 2 requests per window
    return [_post(http).status_code for _ in range(3)][-1] == 200


SYMPTOMS: dict[str, Callable[[httpx.Client], bool]] = {
    "client-request-id-mismatch": lambda http: (lambda reply: reply.headers["x-request-id"] != reply.json()[
        "request_id"])(_post(http, request_id="mine")),
    "client-no-x-request-id": lambda http: "x-request-id" not in _post(http, model="nope").headers,
    "client-guardrail-passes-pii": lambda http: _post(
        http, messages=[{"role": "user", "content": "me@example.org"}]).status_code == 200,
    "client-422-as-404": lambda http: _post(http, model="text-embedding-3-small").status_code == 404,
    "client-429-no-retry-after": _429_without_retry_after,
    "client-breaker-never-opens": lambda http: [
        _post(http, headers={"x-mock-status": "500"}).status_code for _ in range(3)] == [502, 502, 502],
    "client-stream-no-content-filter": lambda http: "@" in text_of(chunks_of(
        _post(http, stream=True, headers={"x-aigw-test-output-pii": "email"}))),
    "client-request-id-fixed": _same_generated_id,
    "client-any-token-accepted": lambda http: _post(
        http, headers={"authorization": "Bearer cgt_made-up"}).status_code == 200,
    "client-missing-model-500": lambda http: http.post(
        "/chat/completions", json={"messages": CHAT["messages"]}).status_code == 500,
    "client-unknown-model-502": lambda http: _post(http, model="gpt-9").status_code == 502,
    "client-rate-limit-off-by-one": _third_admitted,
    "client-tool-call-id-dropped": lambda http: _post(http, messages=TOOL_RESULT).status_code != 200,
    "client-bare-tool-message-500": lambda http: _post(http, messages=BARE_TOOL).status_code == 500,
    "client-upstream-429-as-502": _provider_429_lost,
}
# Settings a symptom needs; the others are checked against the module's clean gateway.
OVERRIDES: dict[str, dict[str, Any]] = {
    "client-429-no-retry-after": {"client_rate_limit": 2},
    "client-breaker-never-opens": {"client_breaker_threshold": 2},
    "client-rate-limit-off-by-one": {"client_rate_limit": 2},
}


def test_every_client_defect_has_a_symptom() -> None:
    assert set(SYMPTOMS) == set(CLIENT_DEFECTS) and all(CLIENT_DEFECTS.values())


@pytest.mark.parametrize("defect", sorted(CLIENT_DEFECTS))
def test_client_defect_shows_its_symptom_and_the_clean_gateway_does_not(
    stack: ReferenceStack, gateway: httpx.Client, defect: str
) -> None:
    overrides = OVERRIDES.get(defect, {})
    with custom(stack, defects=frozenset({defect}), **overrides) as broken:
        assert SYMPTOMS[defect](broken) is True
    if overrides:
        with custom(stack, **overrides) as clean:
            assert SYMPTOMS[defect](clean) is False
    else:
        assert SYMPTOMS[defect](gateway) is False
