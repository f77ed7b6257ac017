"""Conformance tests of what the gateway sends each provider and how it maps provider failures (ai-translation)."""

# Each request carries a fresh marker in its user message; the journal entry holding it (`suites/upstream.py`)
# is attached to the exchange before the explicit `translation.*` checks run. One model per provider: the target's
# `[models] chat` list (the reference lists gpt-5, gpt-oss-20b, gemini-3-flash and claude-haiku-4-5), each
# model's provider read from the catalogue (or, when its entry names no documented provider, from the one mock a
# short request for it reached: `provider_of`); a model whose provider's mock the target does not declare is
# passed over (and the test skipped when that leaves none).

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aigw_conformance.suites.checks.translation import CLAUDE_CHECKS
from aigw_conformance.suites.conformance.catalogue import listed
from aigw_conformance.suites.conformance.registry import TestContext, conformance_test
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import TestSkipped
from aigw_conformance.suites.features import Feature
from aigw_conformance.suites.upstream import PROVIDER_MOCKS, Upstream, new_marker

MOCK_PROVIDERS = {mock: provider for provider, mock in PROVIDER_MOCKS.items()}
"""A mock ([upstream] key) → the catalogue provider ID it plays."""

CHAT = "/chat/completions"
QUESTION = "Explain the MITRE ATT&CK framework"  # 000 Example 3
TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Get weather for a location",  # 001 "Function Calling"
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}]
ANSWER_SCHEMA = {"type": "json_schema", "json_schema": {  # 001 "JSON Schema"
    "name": "answer_schema", "strict": True,
    "schema": {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"],
               "additionalProperties": False}}}
# Every documented parameter at a legal, harmless value: each provider must get the supported ones in its own
# names and none of those 000's table marks unsupported for it.
EVERY_PARAMETER: dict[str, Any] = {
    "max_completion_tokens": 48, "temperature": 0.7, "top_p": 0.9, "top_k": 40, "min_p": 0.05, "n": 1,
    "stop": ["zzqx-never"], "seed": 7, "frequency_penalty": 0.1, "presence_penalty": 0.1, "repetition_penalty": 1.1,
    "logprobs": True, "top_logprobs": 2, "logit_bias": {"1734": 1}, "user": "aigw-conformance",
    "tools": TOOLS, "tool_choice": "auto", "parallel_tool_calls": True,
}
REASONING_LIMIT = 4400  # every level's budget (1100, 1452, 2200) is above Anthropic's 1024 floor
NATIVE_FILTER = {"openai": 'finish_reason "content_filter"', "selfhosted": 'finish_reason "content_filter"',
                 "anthropic": 'stop_reason "refusal"', "gemini": 'finishReason "SAFETY"'}


def catalogue(t: TestContext) -> dict[str, dict[str, Any]]:
    """The gateway's models by ID (GET /models)."""
    return listed(t, "catalogue for the translation tests")


def provider_of(t: TestContext, upstream: Upstream, model: str, entry: dict[str, Any]) -> str | None:
    """The model's provider ID: its catalogue `provider` when that is a documented ID, else (a catalogue without
    one, which `models.list_shape` reports on its own) the provider of the one declared mock that a short request
    for the model reached; None when the provider's mock is not declared or the request reached no single mock."""
    provider = str(entry.get("provider"))
    if provider in PROVIDER_MOCKS:
        return provider if PROVIDER_MOCKS[provider] in upstream.roots else None
    marker = new_marker()
    t.probe.send("ai", t.base_url("ai"), "POST", CHAT, headers=t.credentials("ai"),
                 json_body=with_marker({"model": model, "max_completion_tokens": 8}, marker),
                 label=f"{model}, which mock serves it (its catalogue entry names no documented provider)")
    reached = [mock for mock, found in upstream.where(marker).items() if found]
    return MOCK_PROVIDERS.get(reached[0]) if len(reached) == 1 else None


def per_provider(t: TestContext, upstream: Upstream, capability: str = "chat") -> list[tuple[str, dict[str, Any]]]:
    """(model ID, catalogue entry) of each model listed for `capability` whose provider's mock is declared; the
    entry's `provider` is the one `provider_of` found."""
    models = catalogue(t)
    chosen: list[tuple[str, dict[str, Any]]] = []
    for model in t.models(capability):
        provider = provider_of(t, upstream, model, models[model]) if model in models else None
        if provider is not None:
            chosen.append((model, {**models[model], "provider": provider}))
    if not chosen:
        raise TestSkipped(f"no model of [models] {capability} is served by a mock the target declares in [upstream] "
                          "(by its catalogue provider, or where a request for it arrived)")
    return chosen


def with_marker(body: dict[str, Any], marker: str, question: str = QUESTION) -> dict[str, Any]:
    return {**body, "messages": [{"role": "user", "content": f"{question} [{marker}]"}]}


def ask(t: TestContext, upstream: Upstream, model: str, entry: dict[str, Any], body: dict[str, Any], label: str,
        expect: Iterable[str], **context: Any) -> Exchange:
    """Send `body` for `model` with a fresh marker, attach what reached its provider's mock, apply `expect`."""
    marker = new_marker()
    provider = str(entry.get("provider"))
    sent = with_marker({"model": model, **body}, marker)
    exchange = t.probe.send("ai", t.base_url("ai"), "POST", CHAT, headers=t.credentials("ai"), json_body=sent,
                            label=f"{model}, {label}")
    found = upstream.chat_request(PROVIDER_MOCKS[provider], marker)
    exchange.context.update(upstream=found.to_context() if found else None, provider=provider,
                            model_max=entry.get("max_completion_tokens"), **context)
    t.apply(exchange, [CLAUDE_CHECKS.get(name, name) if provider == "claude" else name for name in expect])
    return exchange


@conformance_test("translation.parameters", features=(Feature.UPSTREAM_JOURNAL,))
def parameters(t: TestContext) -> None:
    """Each provider gets the supported parameters in its own names and none the table marks unsupported."""
    upstream = Upstream.of(t.target, t.probe)
    for model, entry in per_provider(t, upstream):
        ask(t, upstream, model, entry, EVERY_PARAMETER, "every documented parameter",
            ["translation.unsupported_dropped", "translation.supported_carried"])
        ask(t, upstream, model, entry, {"max_tokens": 24, "stop": "zzqx-never"}, "max_tokens alias, one stop string",
            ["http.success", "translation.supported_carried"])
        ask(t, upstream, model, entry, {"max_completion_tokens": 64, "stream": True, "temperature": 0.5},
            "streamed", ["translation.supported_carried"])


@conformance_test("translation.json_schema", features=(Feature.UPSTREAM_JOURNAL,))
def json_schema(t: TestContext) -> None:
    """response_format json_schema reaches OpenAI-format providers as is and Claude its way; Gemini never (000)."""
    upstream = Upstream.of(t.target, t.probe)
    for model, entry in per_provider(t, upstream):
        ask(t, upstream, model, entry, {"max_completion_tokens": 128, "response_format": ANSWER_SCHEMA},
            "json_schema", ["translation.unsupported_dropped", "translation.supported_carried"])


@conformance_test("translation.reasoning", features=(Feature.UPSTREAM_JOURNAL,))
def reasoning(t: TestContext) -> None:
    """reasoning_effort becomes the provider's thinking budget (001: 25/33/50%); without it, none is set."""
    upstream = Upstream.of(t.target, t.probe)
    for model, entry in per_provider(t, upstream, "reasoning"):
        for effort in ("low", "medium", "high"):
            ask(t, upstream, model, entry, {"max_completion_tokens": REASONING_LIMIT, "reasoning_effort": effort},
                f"reasoning_effort={effort}", ["http.success", "translation.reasoning_budget"])
        ask(t, upstream, model, entry, {"max_completion_tokens": 64}, "no reasoning_effort",
            ["http.success", "translation.reasoning_omitted"])


@conformance_test("translation.service_tier", features=(Feature.UPSTREAM_JOURNAL,))
def service_tier(t: TestContext) -> None:
    """service_tier is forwarded to OpenAI unchanged (001 "Service Tier"), and ignored where unsupported."""
    upstream = Upstream.of(t.target, t.probe)
    for model, entry in per_provider(t, upstream):
        ask(t, upstream, model, entry, {"max_completion_tokens": 16, "service_tier": "flex"}, "service_tier=flex",
            ["http.success", "translation.service_tier"])


@conformance_test("translation.default_max_tokens", features=(Feature.UPSTREAM_JOURNAL,))
def default_max_tokens(t: TestContext) -> None:
    """Without max_completion_tokens each provider gets 50% of the model's max_completion_tokens (000)."""
    upstream = Upstream.of(t.target, t.probe)
    for model, entry in per_provider(t, upstream):
        ask(t, upstream, model, entry, {}, "no max_completion_tokens",
            ["http.success", "translation.default_max_tokens"])


@conformance_test("translation.routing", features=(Feature.UPSTREAM_JOURNAL,))
def routing(t: TestContext) -> None:
    """Every chat model of the catalogue is served by its provider's backend; self-hosted ones say threatwinds."""
    upstream = Upstream.of(t.target, t.probe)
    chat_models = [(m, e) for m, e in catalogue(t).items() if "chat" in (e.get("capabilities") or [])
                   and PROVIDER_MOCKS.get(str(e.get("provider")), "") in ("", *upstream.roots)]  # unknown: checked
    if not chat_models:
        raise TestSkipped("the catalogue lists no chat model served by a mock the target declares in [upstream]")
    for model, entry in chat_models:
        marker = new_marker()
        body = with_marker({"model": model, "max_completion_tokens": 8}, marker)
        exchange = t.probe.send("ai", t.base_url("ai"), "POST", CHAT, headers=t.credentials("ai"), json_body=body,
                                label=f"{model}, routed to its provider")
        routed = {mock: len(found) for mock, found in upstream.where(marker).items()}
        exchange.context.update(provider=str(entry.get("provider")), routed=routed)
        t.apply(exchange, ["http.success", "translation.routed_to_provider"])


@conformance_test("translation.upstream_500", features=(Feature.UPSTREAM_FAULTS, Feature.UPSTREAM_JOURNAL),
                  alone=True)
def upstream_500(t: TestContext) -> None:
    """A provider's 500 gives the documented 500 with the error contract, whole and streamed (000, 001)."""
    upstream = Upstream.of(t.target, t.probe)
    for model, entry in per_provider(t, upstream):
        for stream in (False, True):
            with upstream.fault(PROVIDER_MOCKS[str(entry.get("provider"))], {"kind": "status", "status": 500}):
                ask(t, upstream, model, entry, {"max_completion_tokens": 16, "stream": stream},
                    f"provider answers 500{', streamed' if stream else ''}", ["translation.upstream_500"])


@conformance_test("translation.content_filter", features=(Feature.UPSTREAM_FAULTS, Feature.UPSTREAM_JOURNAL),
                  alone=True)
def content_filter(t: TestContext) -> None:
    """A provider's content-filter finish comes back as finish_reason content_filter, whole and streamed (000)."""
    upstream = Upstream.of(t.target, t.probe)
    for model, entry in per_provider(t, upstream):
        mock = PROVIDER_MOCKS[str(entry.get("provider"))]
        for stream in (False, True):
            with upstream.fault(mock, {"kind": "content_filter", "enabled": 1}):
                ask(t, upstream, model, entry, {"max_completion_tokens": 16, "stream": stream},
                    f"provider's content filter{', streamed' if stream else ''}",
                    ["translation.content_filter_finish"], native=NATIVE_FILTER[mock])
