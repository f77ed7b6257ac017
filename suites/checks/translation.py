"""Checks of what the gateway sent each provider (a mock's journal entry) and how it mapped the provider's answer."""

# Each check is explicit: a test of `suites/conformance/translation_tests.py` attaches what its request caused
# upstream to `exchange.context`: "upstream" (`UpstreamRequest.to_context()`, None when no request carrying the
# test's marker reached the model's mock), "provider" (the model's catalogue provider ID), "model_max" (its
# max_completion_tokens) and, for routing, "routed" (mock → chat requests carrying the marker). The wire format
# follows the mock: OpenAI's for "openai" and "selfhosted", Anthropic's Messages, Gemini's generateContent.

from __future__ import annotations

from typing import Any

from aigw_conformance.suites.checks.output import REASONING_SHARES, as_dict, choices_of, request
from aigw_conformance.suites.checks.registry import check, fail
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import CheckFailed, Severity
from aigw_conformance.suites.grounds import support_grounds
from aigw_conformance.suites.upstream import PROVIDER_MOCKS

# 000 "Provider-Specific Parameter Support": the "No" cells. Claude has no column: the Messages API has no field
# for these, so "unsupported parameters are silently ignored" means they are not sent (Anthropic refuses unknown
# fields). The self-hosted (threatwinds) column says Yes everywhere.
UNSUPPORTED: dict[str, frozenset[str]] = {
    "openai": frozenset({"top_k", "min_p", "repetition_penalty"}),
    "gemini": frozenset({"min_p", "n", "seed", "frequency_penalty", "presence_penalty", "repetition_penalty", "user",
                         "logprobs", "top_logprobs", "logit_bias", "parallel_tool_calls", "response_format"}),
    "claude": frozenset({"min_p", "n", "seed", "frequency_penalty", "presence_penalty", "repetition_penalty", "user",
                         "logprobs", "top_logprobs", "logit_bias"}),
    "threatwinds": frozenset(),
}
# Gemini's own names of OpenAI parameters (generationConfig fields).
GEMINI_NAMES: dict[str, tuple[str, ...]] = {
    "n": ("candidateCount",), "seed": ("seed",), "frequency_penalty": ("frequencyPenalty",),
    "presence_penalty": ("presencePenalty",), "logprobs": ("responseLogprobs",), "top_logprobs": ("logprobs",),
    "response_format": ("responseMimeType", "responseSchema", "responseJsonSchema"), "temperature": ("temperature",),
    "top_p": ("topP",), "top_k": ("topK",), "stop": ("stopSequences",),
}
# Parameters an OpenAI wire-format upstream gets under their own name, value unchanged, where supported.
OPENAI_PASSED = ("temperature", "top_p", "top_k", "min_p", "n", "stop", "seed", "frequency_penalty",
                 "presence_penalty", "repetition_penalty", "logprobs", "top_logprobs", "logit_bias", "user",
                 "tool_choice", "parallel_tool_calls", "response_format", "service_tier", "reasoning_effort")
MAX_NAMES: dict[str, tuple[str, ...]] = {"openai": ("max_completion_tokens", "max_tokens"),
                                         "selfhosted": ("max_completion_tokens", "max_tokens"),
                                         "anthropic": ("max_tokens",), "gemini": ("maxOutputTokens",)}
CLAUDE_MIN_THINKING = 1024  # Anthropic's smallest budget_tokens
GEMINI_MAX_THINKING = 32_768  # Gemini's largest thinkingBudget


def sent(exchange: Exchange) -> tuple[str, dict[str, Any]]:
    """(mock, upstream body) of the request the test's marker found; fails when none reached the model's mock."""
    upstream = exchange.context.get("upstream")
    if not isinstance(upstream, dict):
        provider = exchange.context.get("provider")
        raise fail(f"no chat request carrying the test's marker reached the {PROVIDER_MOCKS.get(str(provider))} "
                   f"mock (model provider {provider!r}): the request was not forwarded to its provider")
    return str(upstream.get("mock")), as_dict(upstream.get("json"))


def camel(name: str) -> str:
    """A Gemini field name in lowerCamelCase (`max_output_tokens` → `maxOutputTokens`)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def camel_keys(value: Any) -> dict[str, Any]:
    """A Gemini object with its keys in lowerCamelCase: Gemini's REST API (proto3 JSON) accepts snake_case field
    names as well (`generation_config`, `max_output_tokens`, `thinking_config`), and so does our Gemini mock."""
    return {camel(str(key)): item for key, item in as_dict(value).items()}


def config(mock: str, body: dict[str, Any]) -> dict[str, Any]:
    """Where the sampling fields sit: Gemini's generationConfig (either spelling, keys in camelCase), else the
    body itself."""
    if mock != "gemini":
        return body
    outer = camel_keys(body)
    return {key: camel_keys(item) if key == "thinkingConfig" else item
            for key, item in camel_keys(outer.get("generationConfig")).items()}


def native_max(mock: str, body: dict[str, Any]) -> Any:
    return next((config(mock, body)[n] for n in MAX_NAMES.get(mock, ()) if n in config(mock, body)), None)


def _stops(value: Any) -> list[Any]:
    return [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []


def _tool_names(mock: str, body: dict[str, Any]) -> list[Any]:
    found = body.get("tools")
    tools: list[Any] = found if isinstance(found, list) else []
    if mock == "gemini":
        return [as_dict(d).get("name") for t in tools for d in camel_keys(t).get("functionDeclarations") or []]
    if mock == "anthropic":
        return [as_dict(t).get("name") for t in tools]
    return [as_dict(as_dict(t).get("function")).get("name") for t in tools]


def claude(exchange: Exchange) -> bool:
    """The model's provider is Claude, which 000's support table has no column for: what it takes is convention."""
    return str(exchange.context.get("provider")) == "claude"


CLAUDE_CHECKS = {"translation.unsupported_dropped": "translation.claude_unsupported_dropped",
                 "translation.supported_carried": "translation.claude_supported_carried"}
"""The support-table checks and their Claude twins (inferred: 000's table has no Claude column)."""


@check("translation.unsupported_dropped", auto=False)
def unsupported_dropped(exchange: Exchange) -> None:
    """Parameters 000's table marks unsupported for the provider are not sent to it, and the answer is still 200
    (Claude, which the table has no column for, is translation.claude_unsupported_dropped's)."""
    if not claude(exchange):
        judge_unsupported(exchange)


@check("translation.claude_unsupported_dropped", auto=False, inferred=True)
def claude_unsupported_dropped(exchange: Exchange) -> None:
    """Claude gets none of the parameters its Messages API has no field for (convention: 000's support table has no
    Claude column), and the answer is still 200."""
    if claude(exchange):
        judge_unsupported(exchange)


def judge_unsupported(exchange: Exchange) -> None:
    mock, body = sent(exchange)
    provider = str(exchange.context.get("provider"))
    asked = request(exchange)
    leaked: list[tuple[str, str]] = []  # (parameter, how it was sent)
    for name in sorted(UNSUPPORTED.get(provider, frozenset()) & set(asked)):
        places = [name, *(GEMINI_NAMES.get(name, ()) if mock == "gemini" else ())]
        found = sorted({place for place in places if place in body or place in config(mock, body)})
        if found:
            leaked.append((name, name if found == [name] else f"{name} (as {', '.join(found)})"))
    if leaked:
        why = (f"000's table says {provider} does not support it" if not claude(exchange) else
               "Anthropic's Messages API has no field for it")
        raise by_parameter(exchange, [(name, f"{shown} was sent to the {mock} mock although {why} (unsupported "
                                             "parameters are silently ignored)") for name, shown in leaked])
    if exchange.status != 200:
        raise fail(f"unsupported parameters must be silently ignored, but the request got {exchange.status}")


STRUCTURED_OUTPUTS_BETA = "structured-outputs-2025-11-13"
"""The `anthropic-beta` flag under which Anthropic takes the original top-level `output_format`."""


def _claude_schema(body: dict[str, Any], schema: Any, betas: list[Any]) -> bool:
    """Anthropic's ways of structured output: GA `output_config.format`, the beta `output_format` (sent with the
    `anthropic-beta: structured-outputs-2025-11-13` header, without which Anthropic refuses the field), a forced
    tool with the schema, or the schema's property names in the system text."""
    fmt = as_dict(as_dict(body.get("output_config")).get("format"))
    if fmt.get("type") == "json_schema" and fmt.get("schema") == schema:
        return True
    beta = as_dict(body.get("output_format"))
    if STRUCTURED_OUTPUTS_BETA in betas and beta.get("type") == "json_schema" and beta.get("schema") == schema:
        return True
    forced = as_dict(body.get("tool_choice")).get("name")
    tools = [as_dict(t) for t in body.get("tools") or []]
    if any(t.get("name") == forced and t.get("input_schema") == schema for t in tools):
        return True
    system = body.get("system")
    text = system if isinstance(system, str) else str(system or "")
    return bool(schema) and all(str(key) in text for key in as_dict(schema).get("properties") or {})


def by_parameter(exchange: Exchange, problems: list[tuple[str, str]]) -> CheckFailed:
    """One failure per parameter, each on that parameter's row of 000's support table; Claude's (no column there)
    keep the twin check's convention grounds."""
    if claude(exchange):
        return fail("; ".join(text for _, text in problems))
    return CheckFailed(problems[0][1], parts=[(text, support_grounds(name)) for name, text in problems])


def carried_problems(mock: str, provider: str, asked: dict[str, Any], body: dict[str, Any],
                     betas: list[Any] | None = None) -> list[tuple[str, str]]:
    """What of `asked`'s supported parameters did not arrive, in the provider's native name and value, as
    (parameter, what arrived) (`betas`: the `anthropic-beta` flags the request carried)."""
    problems: list[tuple[str, str]] = []
    unsupported = UNSUPPORTED.get(provider, frozenset())
    limit = asked.get("max_completion_tokens", asked.get("max_tokens"))
    if isinstance(limit, int) and native_max(mock, body) != limit:
        problems.append(("max_completion_tokens" if "max_completion_tokens" in asked else "max_tokens",
                         f"max tokens {limit} arrived as {MAX_NAMES.get(mock, ('?',))[0]}={native_max(mock, body)!r}"))
    where = config(mock, body)
    for name in ("temperature", "top_p", "top_k", "stop"):
        if name not in asked or name in unsupported or (name == "top_k" and asked[name] == -1):
            continue
        native = {"openai": name, "selfhosted": name, "gemini": GEMINI_NAMES[name][0],
                  "anthropic": "stop_sequences" if name == "stop" else name}[mock]
        want, got = asked[name], where.get(native)
        if name == "stop":
            want, got = _stops(want), _stops(got)
        if mock == "anthropic" and name == "temperature" and isinstance(want, int | float):
            want = min(float(want), 1.0)  # Anthropic's range is 0..1: clamping is the documented-silent choice
        if got != want:
            problems.append((name, f"{name}={asked[name]!r} arrived as {native}={where.get(native)!r}"))
    if mock in ("openai", "selfhosted"):
        for name in OPENAI_PASSED:
            if name in asked and name not in unsupported and name not in ("temperature", "top_p", "top_k", "stop") \
                    and body.get(name) != asked[name]:
                problems.append((name, f"{name}={asked[name]!r} arrived as {body.get(name)!r}"))
    wanted_tools = [as_dict(as_dict(t).get("function")).get("name") for t in asked.get("tools") or []]
    if wanted_tools and _tool_names(mock, body) != wanted_tools:
        problems.append(("tools", f"tools {wanted_tools} arrived as {_tool_names(mock, body)}"))
    schema = as_dict(as_dict(asked.get("response_format")).get("json_schema")).get("schema")
    if mock == "anthropic" and schema is not None and not _claude_schema(body, schema, betas or []):
        unflagged = "output_format" in body and STRUCTURED_OUTPUTS_BETA not in (betas or [])
        problems.append(("response_format", "response_format json_schema: the schema reached Anthropic neither as "
                         "output_config.format nor as output_format (with the structured-outputs-2025-11-13 beta "
                         "header) nor as a forced tool's input_schema nor in the system prompt" + (
                             "; output_format was sent without the anthropic-beta: structured-outputs-2025-11-13 "
                             "header, so Anthropic refuses it" if unflagged else "")))
    return problems


@check("translation.supported_carried", auto=False)
def supported_carried(exchange: Exchange) -> None:
    """Supported parameters reach the provider in its native names with their values (000's support table; Claude,
    which it has no column for, is translation.claude_supported_carried's)."""
    if not claude(exchange):
        judge_carried(exchange)


@check("translation.claude_supported_carried", auto=False, inferred=True)
def claude_supported_carried(exchange: Exchange) -> None:
    """Claude gets the parameters its Messages API takes, in its names with their values (convention: 000's support
    table has no Claude column)."""
    if claude(exchange):
        judge_carried(exchange)


def judge_carried(exchange: Exchange) -> None:
    mock, body = sent(exchange)
    betas = as_dict(exchange.context.get("upstream")).get("betas")
    problems = carried_problems(mock, str(exchange.context.get("provider")), request(exchange), body,
                                betas if isinstance(betas, list) else [])
    if problems:
        raise by_parameter(exchange, [(name, f"what the {mock} mock received differs from the request: {text}")
                                      for name, text in problems])


def thinking_budget(mock: str, body: dict[str, Any]) -> Any:
    """The reasoning setting the provider got: a budget in tokens, or OpenAI's `reasoning_effort` level."""
    if mock == "anthropic":
        thinking = as_dict(body.get("thinking"))
        return thinking.get("budget_tokens") if thinking.get("type") == "enabled" else None
    if mock == "gemini":
        return as_dict(config(mock, body).get("thinkingConfig")).get("thinkingBudget")
    return body.get("reasoning_effort")


@check("translation.reasoning_budget", auto=False)
def reasoning_budget(exchange: Exchange) -> None:
    """reasoning_effort reaches the provider as its thinking budget: 25/33/50% of max tokens (001), or as is."""
    mock, body = sent(exchange)
    asked = request(exchange)
    effort, limit = asked.get("reasoning_effort"), asked.get("max_completion_tokens")
    if effort not in REASONING_SHARES or not isinstance(limit, int):
        return
    got = thinking_budget(mock, body)
    if mock in ("openai", "selfhosted"):
        if got != effort:
            raise fail(f"reasoning_effort {effort!r} arrived at the {mock} mock as {got!r}")
        return
    share = int(limit * REASONING_SHARES[effort])  # Anthropic's 1024 floor (below max_tokens), Gemini's ceiling
    want = min(max(share, CLAUDE_MIN_THINKING), limit - 1) if mock == "anthropic" else min(share, GEMINI_MAX_THINKING)
    if not isinstance(got, int) or abs(got - want) > 1:
        raise fail(f"reasoning_effort {effort!r} with max_completion_tokens {limit} must give a thinking budget of "
                   f"{want} tokens (001: {REASONING_SHARES[effort]:.0%}); the {mock} mock received {got!r}")


@check("translation.reasoning_omitted", auto=False, severity=Severity.MEDIUM, inferred=True)
def reasoning_omitted(exchange: Exchange) -> None:
    """Without reasoning_effort the gateway sets no reasoning of its own: the provider's default applies."""
    mock, body = sent(exchange)
    if "reasoning_effort" in request(exchange):
        return
    got = thinking_budget(mock, body)
    if got is not None or (mock == "anthropic" and "thinking" in body):
        raise fail(f"no reasoning_effort was asked, yet the {mock} mock received a reasoning setting {got!r} "
                   "(000: the behaviour without it is the provider's)")


@check("translation.service_tier", auto=False, severity=Severity.MEDIUM, inferred=True)
def service_tier(exchange: Exchange) -> None:
    """service_tier reaches OpenAI unchanged (convention: 001 says only "Control request priority (provider-specific)"
    and "Service tier support varies by provider and model"; OpenAI takes the field under the same name)."""
    mock, body = sent(exchange)
    tier = request(exchange).get("service_tier")
    if mock == "openai" and tier is not None and body.get("service_tier") != tier:
        raise fail(f"service_tier {tier!r} arrived at the OpenAI mock as {body.get('service_tier')!r}")


@check("translation.default_max_tokens", auto=False)
def default_max_tokens(exchange: Exchange) -> None:
    """Without max_completion_tokens the provider gets 50% of the model's maximum (000)."""
    mock, body = sent(exchange)
    asked, model_max = request(exchange), exchange.context.get("model_max")
    if "max_completion_tokens" in asked or "max_tokens" in asked or not isinstance(model_max, int):
        return
    got, want = native_max(mock, body), model_max // 2
    if not isinstance(got, int) or abs(got - model_max / 2) > 1:
        raise fail(f"max_completion_tokens omitted: 000 says it defaults to 50% of the model's {model_max}, i.e. "
                   f"{want}; the {mock} mock received {MAX_NAMES.get(mock, ('?',))[0]}={got!r}")


@check("translation.routed_to_provider", auto=False)
def routed_to_provider(exchange: Exchange) -> None:
    """A model's request reaches the mock of its catalogue provider; self-hosted models report `threatwinds`."""
    provider = str(exchange.context.get("provider"))
    routed = {mock: n for mock, n in as_dict(exchange.context.get("routed")).items() if n}
    expected = PROVIDER_MOCKS.get(provider)
    if set(routed) == {expected}:
        return
    if "selfhosted" in routed and provider != "threatwinds":
        raise fail(f"the request reached the self-hosted mock, but the model reports provider {provider!r}: 001 "
                   "says self-hosted backends are reported under the single `threatwinds` provider ID")
    raise fail(f"the model reports provider {provider!r}, so its request belongs to the {expected} mock; it reached "
               f"{sorted(routed) or 'no mock'}")


@check("translation.upstream_500", auto=False)
def upstream_500(exchange: Exchange) -> None:
    """A provider failure (its 500) is answered with 500 Internal Server Error (000: 'Provider error')."""
    sent(exchange)
    if exchange.status != 500:
        raise fail(f"the provider answered 500; 000/001 document '500 Internal Server Error: Provider error' for it, "
                   f"the gateway answered {exchange.status}")


@check("translation.content_filter_finish", auto=False)
def content_filter_finish(exchange: Exchange) -> None:
    """A provider's content-filter finish comes back as finish_reason `content_filter` (000)."""
    sent(exchange)
    if exchange.status != 200:
        raise fail(f"a content-filtered answer is still an answer: expected 200, got {exchange.status}")
    reasons = [choice.finish_reason for choice in choices_of(exchange)]
    if not reasons or any(reason != "content_filter" for reason in reasons):
        raise fail(f"the provider ended the answer with its content-filter finish ({exchange.context.get('native')}); "
                   f"the gateway's finish_reason was {reasons}, not content_filter")
