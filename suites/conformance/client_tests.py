"""Conformance tests of the client gateway (002): chat, streaming, request IDs, guardrails and its errors."""

from __future__ import annotations

import uuid
from typing import Any

from aigw_conformance.suites.conformance.registry import TestContext, conformance_test
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.features import Feature

# Every request goes to `POST /chat/completions` below the target's client base URL with its client API token;
# model keys come from `[models] client_chat` (and `client_stream`, `client_non_llm`, `client_breaker`). The tests
# that provoke a rate limit, a used-up quota, a provider failure or PII in the output need the `[client]` options
# that say how (see suites/targets/example.toml) and are skipped, naming the key to set, without them.

PATH = "/chat/completions"
HELLO = [{"role": "user", "content": "Hello"}]
# 002's request example.
EXAMPLE = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "What is the capital of France?"},
]
CONVERSATION = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "What is the capital of France?"},
    {"role": "assistant", "content": "The capital of France is Paris."},
    {"role": "user", "content": "And of Italy?"},
]
# One message per PII category the guardrail must block; the card is a Luhn-valid test number.
INPUT_PII: dict[str, str] = {
    "email": "Please summarise the thread and reply to jane.doe@example.com.",
    "phone": "Call me back on +1 415-555-0134 after lunch.",
    "credit_card": "Charge the order to my card 4111 1111 1111 1111, expiry 12/29.",
}
# The values of the output PII test hook (`[client] output_pii_hook`): the kind of PII to put into the output.
OUTPUT_PII = ("email", "phone", "credit_card")
WRONG_TOKEN = "cgt_aigw-conformance-wrong-token"  # the documented prefix, so a prefix check alone lets it in
UNKNOWN_MODEL = "aigw-conformance-no-such-model"
MAX_RATE_LIMIT = 200  # more requests than this to trip a rate limit is no test, it is a load run
FAULT_STATUS = "503"  # what the provider is made to answer through `[client] fault_header`


def client_body(t: TestContext, capability: str = "chat", **extra: Any) -> dict[str, Any]:
    return {"model": t.client_model(capability), "messages": HELLO, "max_tokens": 16, **extra}


def post(
    t: TestContext, body: Any, *, headers: dict[str, str] | None = None, authenticated: bool = True,
    label: str = "", expect: tuple[str, ...] = (), context: dict[str, Any] | None = None,
) -> Exchange:
    return t.send("POST", PATH, api="client", json_body=body, headers=headers, authenticated=authenticated,
                  label=label, expect=expect, context=context)


def correlation_id(what: str) -> str:
    return f"aigw-conformance-{what}-{uuid.uuid4().hex[:12]}"


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


# --- chat ------------------------------------------------------------------------------------------------------


@conformance_test("client.chat.example", features=(Feature.CLIENT_CHAT,), api="client")
def example(t: TestContext) -> None:
    """002's request example (system and user messages, temperature, max_tokens) returns a chat.completion."""
    body = {"model": t.client_model(), "messages": EXAMPLE, "temperature": 0.7, "max_tokens": 64, "stream": False}
    post(t, body, label="002 request example", expect=("http.success",))


@conformance_test("client.chat.hello", features=(Feature.CLIENT_CHAT,), api="client")
def hello(t: TestContext) -> None:
    """The minimal request of 002's cURL example (model and one user message) is answered."""
    post(t, {"model": t.client_model(), "messages": HELLO}, label="002 cURL example", expect=("http.success",))


@conformance_test("client.chat.conversation", features=(Feature.CLIENT_CHAT,), api="client")
def conversation(t: TestContext) -> None:
    """A conversation with system, user and assistant messages is answered."""
    post(t, client_body(t, messages=CONVERSATION), label="multi-turn", expect=("http.success",))


@conformance_test("client.chat.max_completion_tokens", features=(Feature.CLIENT_CHAT,), api="client")
def max_completion_tokens(t: TestContext) -> None:
    """`max_completion_tokens` is accepted as the alternative to max_tokens."""
    body = {"model": t.client_model(), "messages": HELLO, "max_completion_tokens": 16}
    post(t, body, label="max_completion_tokens instead of max_tokens", expect=("http.success",))


@conformance_test("client.chat.temperature", features=(Feature.CLIENT_CHAT,), api="client")
def temperature(t: TestContext) -> None:
    """Both ends of the documented temperature range (0-2) are accepted."""
    for value in (0, 2):
        post(t, client_body(t, temperature=value), label=f"temperature={value} (documented: 0-2)",
             expect=("http.success",))


# --- streaming -------------------------------------------------------------------------------------------------


@conformance_test("client.stream.basic", features=(Feature.CLIENT_STREAMING,), api="client")
def stream_basic(t: TestContext) -> None:
    """`stream: true` gives SSE chat.completion.chunk events ending with `data: [DONE]`, with `X-Request-Id`."""
    post(t, client_body(t, "stream", stream=True), label="stream: true", expect=("http.success",))


@conformance_test("client.stream.example", features=(Feature.CLIENT_STREAMING,), api="client")
def stream_example(t: TestContext) -> None:
    """002's request example, streamed, follows the same chunk contract."""
    body = {"model": t.client_model("stream"), "messages": EXAMPLE, "temperature": 0.7, "max_tokens": 64,
            "stream": True}
    post(t, body, label="002 request example, stream: true", expect=("http.success",))


# --- request IDs -----------------------------------------------------------------------------------------------


@conformance_test("client.request_id.echoed", features=(Feature.CLIENT_REQUEST_ID,), api="client")
def request_id_echoed(t: TestContext) -> None:
    """A client `request_id` is echoed as `request_id` and in `X-Request-Id`, streamed or not."""
    post(t, client_body(t, request_id=correlation_id("json")), label="request_id given",
         expect=("http.success", "client.request_id_echoed"))
    post(t, client_body(t, "stream", stream=True, request_id=correlation_id("stream")),
         label="request_id given, stream: true", expect=("http.success", "client.request_id_echoed"))


@conformance_test("client.request_id.generated", features=(Feature.CLIENT_REQUEST_ID,), api="client")
def request_id_generated(t: TestContext) -> None:
    """Without `request_id` the gateway assigns one, in the body and `X-Request-Id`, unique per request."""
    seen: list[str] = []
    for number in (1, 2):
        reply = post(t, client_body(t), label=f"no request_id (request {number})",
                     expect=("client.request_id_generated",), context={"seen_request_ids": tuple(seen)})
        body = reply.json if reply.status == 200 and reply.content_type == "application/json" else None
        if isinstance(body, dict) and isinstance(body.get("request_id"), str):
            seen.append(body["request_id"])
    post(t, client_body(t, "stream", stream=True), label="no request_id, stream: true", expect=("http.success",))


# --- guardrails ------------------------------------------------------------------------------------------------


def _register_input_pii(category: str, text: str) -> None:
    def run(t: TestContext) -> None:
        messages = [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": text}]
        post(t, client_body(t, messages=messages, request_id=correlation_id("guardrail")),
             label=f"{category} in the user message", expect=("client.guardrail_block",),
             context={"pii": category})

    run.__doc__ = (f"A message carrying {category.replace('_', ' ')} PII is blocked: 400 guardrail_block with "
                   "guardrail_key, action and findings")
    conformance_test(f"client.guardrail.input_{category}", features=(Feature.GUARDRAILS,), api="client")(run)


for _category, _text in INPUT_PII.items():
    _register_input_pii(_category, _text)


@conformance_test("client.guardrail.output_stream", features=(Feature.CLIENT_STREAMING, Feature.GUARDRAILS),
                  api="client")
def output_stream(t: TestContext) -> None:
    """PII in the streamed output stops the stream with `finish_reason: content_filter` (needs the test hook)."""
    hook = t.target.client.output_pii_hook
    if not hook:
        raise t.skip("the target declares no way to make its output carry PII ([client] output_pii_hook: the "
                     "request header of a test hook whose value, email, phone or credit_card, puts that PII "
                     "into the generated text)")
    for kind in OUTPUT_PII:
        post(t, client_body(t, "stream", stream=True, max_tokens=48), headers={hook: kind},
             label=f"stream with {kind} put into the output ({hook}: {kind})",
             expect=("client.output_content_filter",), context={"pii": kind})


# --- documented errors -----------------------------------------------------------------------------------------


@conformance_test("client.errors.missing_fields", features=(Feature.CLIENT_ERRORS,), api="client")
def missing_fields(t: TestContext) -> None:
    """A request without `model`, or without `messages`, gives 400."""
    model = t.client_model()
    post(t, {"messages": HELLO}, label="no model", expect=("client.bad_request_400",))
    post(t, {"model": model}, label="no messages", expect=("client.bad_request_400",))


@conformance_test("client.errors.invalid_token", features=(Feature.CLIENT_ERRORS,), api="client")
def invalid_token(t: TestContext) -> None:
    """A request without an API token, or with a wrong one, gives 401."""
    body = client_body(t)
    post(t, body, authenticated=False, label="no API token", expect=("client.invalid_token_401",))
    post(t, body, headers=_bearer(WRONG_TOKEN), authenticated=False, label="wrong API token",
         expect=("client.invalid_token_401",))


@conformance_test("client.errors.unknown_model", features=(Feature.CLIENT_ERRORS,), api="client")
def unknown_model(t: TestContext) -> None:
    """A model key that is not configured gives 404."""
    post(t, {"model": UNKNOWN_MODEL, "messages": HELLO}, label="unknown model key",
         expect=("client.unknown_model_404",))


@conformance_test("client.errors.non_llm", features=(Feature.CLIENT_ERRORS,), api="client")
def non_llm(t: TestContext) -> None:
    """A model key of another category (e.g. an embedding model) gives 422."""
    model = t.client_model("non_llm", fallback=False)
    post(t, {"model": model, "messages": HELLO}, label=f"model key {model!r} is not an LLM",
         expect=("client.non_llm_422",))


# The tests below leave the target limited for a while (a used-up window or quota, an open breaker): they run last.


@conformance_test("client.errors.rate_limit", features=(Feature.CLIENT_ERRORS,), api="client", alone=True)
def rate_limit(t: TestContext) -> None:
    """The request past a token's rate limit gives 429 with `Retry-After`."""
    options = t.target.client
    if options.rate_limit is None:
        raise t.skip("the target does not say how many requests trip its rate limit ([client] rate_limit, best "
                     "with a token of its own: [client] limited_token)")
    if options.rate_limit > MAX_RATE_LIMIT:
        raise t.skip(f"[client] rate_limit is {options.rate_limit}; tripping more than {MAX_RATE_LIMIT} requests "
                     "is a load test, give a token with a smaller limit ([client] limited_token)")
    token = options.limited_token or t.target.client_token
    if not token:
        raise t.skip("the target gives no client token to exhaust ([client] limited_token or token)")
    limit, body = options.rate_limit, client_body(t, max_tokens=1)
    for attempt in range(1, limit + 1):
        post(t, body, headers=_bearer(token), authenticated=False, label=f"request {attempt} of {limit} allowed")
    post(t, body, headers=_bearer(token), authenticated=False, label=f"request {limit + 1}, past the rate limit",
         expect=("client.rate_limited_429",), context={"attempt": limit + 1, "limit": limit})


@conformance_test("client.errors.quota", features=(Feature.CLIENT_ERRORS,), api="client", alone=True)
def quota(t: TestContext) -> None:
    """A request with a token whose quota is used up gives 429 with `Retry-After`."""
    token = t.target.client.quota_token
    if not token:
        raise t.skip("the target gives no token whose quota one request uses up ([client] quota_token)")
    body = client_body(t, max_tokens=4)
    post(t, body, headers=_bearer(token), authenticated=False, label="uses up the quota")
    post(t, body, headers=_bearer(token), authenticated=False, label="quota used up",
         expect=("client.quota_exceeded_429",))


@conformance_test("client.errors.breaker_open", features=(Feature.CLIENT_ERRORS,), api="client", alone=True)
def breaker_open(t: TestContext) -> None:
    """After `breaker_threshold` provider failures in a row the provider's circuit breaker is open: 503."""
    options = t.target.client
    if not options.fault_header or options.breaker_threshold is None:
        raise t.skip("the target declares no way to make the provider fail ([client] fault_header, a request "
                     "header forwarded to the provider that makes it answer that status) or no breaker "
                     "threshold ([client] breaker_threshold)")
    body = client_body(t, "breaker", max_tokens=4)
    threshold = options.breaker_threshold
    for attempt in range(1, threshold + 1):
        post(t, body, headers={options.fault_header: FAULT_STATUS},
             label=f"provider made to fail ({options.fault_header}: {FAULT_STATUS}), {attempt} of {threshold}",
             context={"injected_fault": True})
    post(t, body, label="provider no longer made to fail, its breaker open", expect=("client.breaker_open_503",),
         context={"failures": threshold})
