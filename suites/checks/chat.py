"""Checks on non-streaming chat completion responses."""

from __future__ import annotations

from typing import Any

from aigw_conformance.suites.checks.preconditions import is_json_chat_reply
from aigw_conformance.suites.checks.registry import check, fail, requires
from aigw_conformance.suites.checks.shapes import json_body, require_component, require_schema
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import Severity

FINISH_REASONS = frozenset({"stop", "length", "content_filter", "tool_calls"})


def _choices(exchange: Exchange) -> list[Any]:
    body = json_body(exchange)
    choices = body.get("choices") if isinstance(body, dict) else None
    if not isinstance(choices, list):
        raise fail("response has no `choices` array")
    return choices


@check("chat.response_shape", severity=Severity.CRITICAL)
@requires(is_json_chat_reply)
def response_shape(exchange: Exchange) -> None:
    """A 200 chat completion matches its API's schema (ChatCompletionResponse, ClientChatCompletionResponse)."""
    component = require_component(exchange, "application/json")
    require_schema(component, json_body(exchange), "the chat completion")


@check("chat.object")
@requires(is_json_chat_reply)
def object_type(exchange: Exchange) -> None:
    """`object` is `chat.completion` on a non-streaming response."""
    body = json_body(exchange)
    if not isinstance(body, dict) or body.get("object") != "chat.completion":
        found = body.get("object") if isinstance(body, dict) else type(body).__name__
        raise fail(f"`object` is {found!r}; a non-streaming completion must say 'chat.completion'")


@check("chat.assistant_role")
@requires(is_json_chat_reply)
def assistant_role(exchange: Exchange) -> None:
    """Every choice's message has role `assistant` (000: "role string Always “assistant”")."""
    for choice in _choices(exchange):
        role = (choice.get("message") or {}).get("role") if isinstance(choice, dict) else None
        if role != "assistant":
            raise fail(f"choice message role is {role!r}, the documents say it is always 'assistant'")


@check("chat.finish_reason")
@requires(is_json_chat_reply)
def finish_reason(exchange: Exchange) -> None:
    """Every choice ends with one of the four documented finish reasons."""
    for choice in _choices(exchange):
        reason = choice.get("finish_reason") if isinstance(choice, dict) else None
        if reason not in FINISH_REASONS:
            raise fail(f"finish_reason {reason!r} is not one of {sorted(FINISH_REASONS)}")


def n_restricted(exchange: Exchange) -> bool:
    """The request's model is one whose provider restricts `n` (000: "Some providers may restrict this value"):
    the target's `[models] n` list (context `n_models`, set by the test context) does not name it."""
    honouring = exchange.context.get("n_models")
    model = exchange.request_json.get("model") if isinstance(exchange.request_json, dict) else None
    return isinstance(honouring, (tuple, list)) and model not in honouring


def check_choice_count(found: int, wanted: int, exchange: Exchange, where: str) -> None:
    """`found` choices answer `n: wanted`, or one does where the model's provider restricts `n`."""
    if found == wanted or (found == 1 and n_restricted(exchange)):
        return
    raise fail(f"{where} {found} choice(s) for n={wanted} (000: 'n: Number of completions to generate'); a gateway "
               "that drops `n` answers with one (one is accepted only for a model the target's [models] n list "
               "leaves out: 'Some providers may restrict this value')")


@check("chat.choice_indices")
@requires(is_json_chat_reply)
def choice_indices(exchange: Exchange) -> None:
    """Choices are indexed 0..n-1, once each, and there are as many as `n` asked for (one where the model's
    provider restricts `n`)."""
    indices = sorted(choice.get("index", -1) for choice in _choices(exchange) if isinstance(choice, dict))
    wanted = exchange.request_json.get("n", 1) if isinstance(exchange.request_json, dict) else 1
    if indices != list(range(len(indices))):
        raise fail(f"choice indices are {indices}; expected 0..{len(indices) - 1} each exactly once")
    if isinstance(wanted, int) and not isinstance(wanted, bool):
        check_choice_count(len(indices), wanted, exchange, "the response carries")


def check_usage_arithmetic(usage: Any, where: str) -> None:
    """Shared by the streaming and non-streaming usage checks."""
    if not isinstance(usage, dict):
        raise fail(f"{where}: `usage` is {usage!r}, expected an object")
    numbers = {key: usage.get(key) for key in ("prompt_tokens", "completion_tokens", "total_tokens")}
    for key, value in numbers.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise fail(f"{where}: usage.{key} is {value!r}, expected a non-negative integer")
    prompt, completion, total = numbers["prompt_tokens"], numbers["completion_tokens"], numbers["total_tokens"]
    assert isinstance(prompt, int) and isinstance(completion, int) and isinstance(total, int)
    if total != prompt + completion:
        raise fail(
            f"{where}: usage.total_tokens is {total} but prompt_tokens + completion_tokens = "
            f"{prompt} + {completion} = {prompt + completion} (000: 'Sum of prompt and completion tokens')"
        )
    details = usage.get("completion_tokens_details") or {}
    reasoning = details.get("reasoning_tokens") if isinstance(details, dict) else None
    if isinstance(reasoning, int) and reasoning > completion:
        raise fail(f"{where}: reasoning_tokens {reasoning} exceed completion_tokens {completion}")


@check("chat.usage_arithmetic", severity=Severity.HIGH)
@requires(is_json_chat_reply)
def usage_arithmetic(exchange: Exchange) -> None:
    """usage.total_tokens equals prompt_tokens + completion_tokens, all non-negative integers."""
    body = json_body(exchange)
    check_usage_arithmetic(body.get("usage") if isinstance(body, dict) else None, "response")
