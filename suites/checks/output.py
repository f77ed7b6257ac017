"""Checks on what a chat completion says: choices, stop, limits, seed, JSON output, reasoning, images, counts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from aigw_conformance.suites.checks.chat import check_choice_count
from aigw_conformance.suites.checks.preconditions import has_sse_events, is_chat, on_ai_api
from aigw_conformance.suites.checks.registry import check, fail, requires
from aigw_conformance.suites.checks.shapes import json_body, require_schema
from aigw_conformance.suites.checks.stream import chunks
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import Severity

# 001 "Reasoning Effort": the share of max tokens each level may spend on reasoning.
REASONING_SHARES: dict[str, float] = {"low": 0.25, "medium": 0.33, "high": 0.50}


@dataclass
class Assembled:
    """One choice of a completion: taken whole from `choices[]`, or put together from its stream's deltas."""

    index: Any
    content: str | None = None
    finish_reason: Any = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


def as_dict(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one (so a malformed field reads as absent)."""
    return value if isinstance(value, dict) else {}


def request(exchange: Exchange) -> dict[str, Any]:
    return as_dict(exchange.request_json)


def _stream_choices(exchange: Exchange) -> list[Assembled]:
    found: dict[Any, Assembled] = {}
    calls: dict[Any, dict[Any, dict[str, Any]]] = {}
    for chunk in chunks(exchange):
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            index = choice.get("index")
            assembled = found.setdefault(index, Assembled(index))
            delta = as_dict(choice.get("delta"))
            if isinstance(delta.get("content"), str):
                assembled.content = (assembled.content or "") + delta["content"]
            for fragment in delta.get("tool_calls") or []:
                if not isinstance(fragment, dict):
                    continue
                call = calls.setdefault(index, {}).setdefault(fragment.get("index"), {
                    "id": None, "type": None, "function": {"name": None, "arguments": ""}})
                function = as_dict(fragment.get("function"))
                for key in ("id", "type"):
                    call[key] = call[key] or fragment.get(key)
                call["function"]["name"] = call["function"]["name"] or function.get("name")
                if isinstance(function.get("arguments"), str):
                    call["function"]["arguments"] += function["arguments"]
            if choice.get("finish_reason") is not None:
                assembled.finish_reason = choice["finish_reason"]
    for index, by_position in calls.items():
        found[index].tool_calls = [by_position[key] for key in sorted(by_position, key=str)]
    return [found[key] for key in sorted(found, key=str)]


def choices_of(exchange: Exchange) -> list[Assembled]:
    """The exchange's choices, whole (non-streaming) or assembled from the stream, in index order."""
    if exchange.stream_requested:
        return _stream_choices(exchange)
    body = json_body(exchange)
    listed = body.get("choices") if isinstance(body, dict) else None
    out: list[Assembled] = []
    for choice in listed if isinstance(listed, list) else []:
        if not isinstance(choice, dict):
            continue
        message = as_dict(choice.get("message"))
        content = message.get("content")
        calls = message.get("tool_calls")
        out.append(Assembled(choice.get("index"), content if isinstance(content, str) else None,
                             choice.get("finish_reason"),
                             [c for c in calls if isinstance(c, dict)] if isinstance(calls, list) else []))
    return out


def usage_of(exchange: Exchange) -> dict[str, Any] | None:
    """`usage` of a whole answer, or of a stream's usage chunk (None when there is none)."""
    if exchange.stream_requested:
        found = [chunk["usage"] for chunk in chunks(exchange) if isinstance(chunk.get("usage"), dict)]
        return found[-1] if found else None
    body = json_body(exchange)
    usage = body.get("usage") if isinstance(body, dict) else None
    return usage if isinstance(usage, dict) else None


def _int(value: Any) -> int | None:
    """An integer parameter's value; an integral number (`2.0`) is one too, as JSON Schema counts it."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def completion_limit(exchange: Exchange) -> int | None:
    """The request's max_completion_tokens, else its alias max_tokens (None: the model's default applies)."""
    body = request(exchange)
    for name in ("max_completion_tokens", "max_tokens"):
        if (limit := _int(body.get(name))) is not None and limit > 0:
            return limit
    return None


def choices_asked(exchange: Exchange) -> int:
    n = _int(request(exchange).get("n"))
    return n if n is not None and n > 0 else 1


def stops(exchange: Exchange) -> list[str]:
    stop = request(exchange).get("stop")
    listed = [stop] if isinstance(stop, str) else stop if isinstance(stop, list) else []
    return [s for s in listed if isinstance(s, str) and s]


def answered(exchange: Exchange) -> bool:
    """A 200 chat completion on the AI API, whole or streamed (the stream with at least one event)."""
    if not (on_ai_api(exchange) and is_chat(exchange) and exchange.status == 200):
        return False
    return has_sse_events(exchange) if exchange.stream_requested else True


def _asks_stop(exchange: Exchange) -> bool:
    return bool(stops(exchange))


def _asks_limit(exchange: Exchange) -> bool:
    return completion_limit(exchange) is not None


def _streamed(exchange: Exchange) -> bool:
    return on_ai_api(exchange) and has_sse_events(exchange)


def _excerpt(text: str, at: int, width: int = 40) -> str:
    start = max(at - width, 0)
    return ("…" if start else "") + text[start:at + width] + ("…" if at + width < len(text) else "")


def _index_order(index: Any) -> tuple[int, Any]:
    """Integers in numeric order (10 after 9), anything else after them by its text."""
    return (0, index) if isinstance(index, int) and not isinstance(index, bool) else (1, str(index))


@check("sse.choice_indices")
@requires(_streamed)
def stream_choice_indices(exchange: Exchange) -> None:
    """A stream carries choices 0..n-1, each at least once, as many as `n` asked for (one where the model's
    provider restricts `n`)."""
    indices = sorted({choice.get("index") for chunk in chunks(exchange) for choice in chunk.get("choices") or []
                      if isinstance(choice, dict)}, key=_index_order)
    wanted = choices_asked(exchange)
    if indices != list(range(len(indices))):
        raise fail(f"the stream's choice indices are {indices}; expected 0..{len(indices) - 1}")
    check_choice_count(len(indices), wanted, exchange, "the stream carries")


@check("output.stop_honoured")
@requires(_asks_stop)
@requires(answered)
def stop_honoured(exchange: Exchange) -> None:
    """No choice's content contains a requested stop sequence (generation ends before it)."""
    for choice in choices_of(exchange):
        for stop in stops(exchange):
            at = (choice.content or "").find(stop)
            if at >= 0:
                raise fail(f"choice {choice.index} contains the stop sequence {stop!r}: "
                           f"{_excerpt(choice.content or '', at)!r}; the answer must end before it (000: 'stop: "
                           "Stop sequences'); is `stop` forwarded to the provider?")


@check("output.completion_within_limit")
@requires(_asks_limit)
@requires(answered)
def completion_within_limit(exchange: Exchange) -> None:
    """usage.completion_tokens is at most max_completion_tokens (per choice asked for)."""
    usage = usage_of(exchange)
    completion = _int((usage or {}).get("completion_tokens"))
    limit, n = completion_limit(exchange), choices_asked(exchange)
    if completion is None or limit is None:
        return  # no usage (a stream that did not ask for it) or a malformed one: the usage checks report that
    if completion > limit * n:
        per = f" x n={n}" if n > 1 else ""
        raise fail(f"usage.completion_tokens is {completion}, over max_completion_tokens {limit}{per} (000: "
                   "'Maximum tokens in response'); is the limit forwarded to the provider?")


@check("output.length_finish", auto=False)
@requires(answered)
def length_finish(exchange: Exchange) -> None:
    """An answer cut by a tiny max_completion_tokens ends every choice with finish_reason `length`."""
    found = choices_of(exchange)
    if not found:
        raise fail("the answer holds no choice")
    for choice in found:
        if choice.finish_reason != "length":
            raise fail(f"choice {choice.index} ended with finish_reason {choice.finish_reason!r} under "
                       f"max_completion_tokens {completion_limit(exchange)}; 000: 'length: Response cut off due to "
                       "max_completion_tokens limit'")


@check("output.seed_deterministic", auto=False)
@requires(answered)
def seed_deterministic(exchange: Exchange) -> None:
    """A request repeated with the same `seed` gives the same content (context `first`: the earlier contents)."""
    first: list[Any] = list(exchange.context.get("first") or [])
    again = [choice.content for choice in choices_of(exchange)]
    if len(again) != len(first):
        raise fail(f"the same request with the same seed gave {len(again)} choice(s), the first time {len(first)}")
    for index, (before, now) in enumerate(zip(first, again, strict=True)):
        if before != now:
            at = next((i for i, (a, b) in enumerate(zip(before or "", now or "", strict=False)) if a != b),
                      min(len(before or ""), len(now or "")))
            raise fail(f"the same request with seed={request(exchange).get('seed')!r} answered choice {index} "
                       f"differently from character {at}: first {_excerpt(before or '', at)!r}, then "
                       f"{_excerpt(now or '', at)!r} (000: 'seed: Seed for deterministic sampling')")


def _judged(exchange: Exchange) -> list[Assembled]:
    """The choices whose content can be judged: those not cut short by the token limit."""
    found = choices_of(exchange)
    if not found:
        raise fail("the answer holds no choice")
    return [choice for choice in found if choice.finish_reason != "length"]


def _parsed(choice: Assembled, kind: str) -> Any:
    if choice.content is None:
        raise fail(f"choice {choice.index} has no text content although response_format is {kind}")
    try:
        return json.loads(choice.content)
    except ValueError:
        raise fail(f"choice {choice.index} is not JSON although response_format is {kind}: "
                   f"{choice.content[:160]!r}") from None


@check("structured.json_object", auto=False)
@requires(answered)
def json_object(exchange: Exchange) -> None:
    """With response_format json_object, every choice's content parses as a JSON object."""
    for choice in _judged(exchange):
        value = _parsed(choice, "json_object")
        if not isinstance(value, dict):
            raise fail(f"choice {choice.index} is JSON but not an object ({type(value).__name__}): "
                       f"{(choice.content or '')[:160]!r}")


@check("structured.json_schema", auto=False)
@requires(answered)
def json_schema(exchange: Exchange) -> None:
    """With response_format json_schema, every choice's content is JSON valid against json_schema.schema."""
    fmt = request(exchange).get("response_format")
    spec = fmt.get("json_schema") if isinstance(fmt, dict) else None
    schema = spec.get("schema") if isinstance(spec, dict) else None
    if not isinstance(schema, dict):
        raise fail("the request carries no response_format.json_schema.schema to check against")
    try:
        validator = Draft202012Validator(schema)
    except SchemaError as error:
        raise fail(f"the requested schema is not a valid JSON Schema: {error.message[:160]}") from None
    for choice in _judged(exchange):
        value = _parsed(choice, "json_schema")
        problems = sorted(validator.iter_errors(value), key=lambda error: list(error.absolute_path))
        if problems:
            where = "/".join(str(part) for part in problems[0].absolute_path) or "(root)"
            raise fail(f"choice {choice.index} does not match the requested schema at {where}: "
                       f"{problems[0].message[:160]} (000: 'Request output matching a specific schema')")


def reasoning_tokens(exchange: Exchange) -> tuple[int, int]:
    """(reasoning_tokens, completion_tokens) of the answer's usage, or a failure saying what is missing."""
    usage = usage_of(exchange)
    if usage is None:
        raise fail("the answer carries no usage" + (" chunk although include_usage was asked"
                                                    if exchange.stream_requested else ""))
    details = usage.get("completion_tokens_details")
    reasoning = _int(details.get("reasoning_tokens")) if isinstance(details, dict) else None
    completion = _int(usage.get("completion_tokens"))
    if reasoning is None or reasoning < 0:
        raise fail(f"usage.completion_tokens_details.reasoning_tokens is missing or not a count ({details!r}) "
                   f"although reasoning_effort was {request(exchange).get('reasoning_effort')!r} (000: "
                   "'reasoning_tokens integer Tokens used for reasoning/thinking')")
    if completion is None:
        raise fail(f"usage.completion_tokens is {usage.get('completion_tokens')!r}, not a count")
    return reasoning, completion


@check("reasoning.tokens_reported", auto=False)
@requires(answered)
def tokens_reported(exchange: Exchange) -> None:
    """With reasoning_effort, usage reports completion_tokens_details.reasoning_tokens, within completion_tokens."""
    reasoning, completion = reasoning_tokens(exchange)
    if reasoning > completion:
        raise fail(f"reasoning_tokens {reasoning} exceed completion_tokens {completion}, which include them")


@check("reasoning.budget", auto=False)
@requires(answered)
def budget(exchange: Exchange) -> None:
    """Reasoning stays within its level's documented share of max tokens (low 25%, medium 33%, high 50%): a
    ceiling (001 "Token Budget"), so a higher level may spend fewer tokens than a lower one did."""
    effort = request(exchange).get("reasoning_effort")
    reasoning, _ = reasoning_tokens(exchange)
    limit, n = completion_limit(exchange), choices_asked(exchange)
    if isinstance(effort, str) and effort in REASONING_SHARES and limit is not None:
        allowed = REASONING_SHARES[effort] * limit * n
        if reasoning > allowed:
            raise fail(f"reasoning_effort {effort!r} spent {reasoning} reasoning tokens of max_completion_tokens "
                       f"{limit}; 001 gives it {REASONING_SHARES[effort]:.0%} of max tokens (at most "
                       f"{allowed:g}): is the budget scaled by the effort?")


@check("vision.image_counted", auto=False)
@requires(answered)
def image_counted(exchange: Exchange) -> None:
    """A message with an image_url part is accepted and costs more prompt tokens than its text alone (context
    `text_prompt_tokens`)."""
    text_only = exchange.context.get("text_prompt_tokens")
    prompt = _int((usage_of(exchange) or {}).get("prompt_tokens"))
    if prompt is None or not isinstance(text_only, int):
        raise fail(f"cannot compare prompt tokens: with the image {prompt!r}, the text alone {text_only!r}")
    if prompt <= text_only:
        raise fail(f"with an image part the prompt costs {prompt} tokens, the same text alone {text_only}: the "
                   "image did not reach the model (000 Example 6: an image_url content block)")


def _is_count(exchange: Exchange) -> bool:
    return on_ai_api(exchange) and exchange.operation == "POST /chat/count"


@check("count.matches_usage", inferred=True, auto=False)
@requires(_is_count)
def matches_usage(exchange: Exchange) -> None:
    """/chat/count answers the prompt_tokens that a chat completion of the same messages reports (context
    `prompt_tokens`)."""
    if exchange.status != 200:
        raise fail(f"counting a model the target lists for counting was answered {exchange.status}: "
                   f"{exchange.excerpt(200)!r}")
    body = json_body(exchange)
    require_schema("ChatCountResponse", body, "the count")
    expected = exchange.context.get("prompt_tokens")
    if body.get("prompt_tokens") != expected:
        raise fail(f"/chat/count says {body.get('prompt_tokens')} prompt tokens, a chat completion of the same "
                   f"messages reported usage.prompt_tokens {expected} (001: 'Count tokens before making "
                   "inference requests')")


@check("count.unsupported_refused", severity=Severity.MEDIUM, auto=False)
@requires(_is_count)
def unsupported_refused(exchange: Exchange) -> None:
    """/chat/count refuses a model it does not support (001: "Claude models are not supported on this endpoint")."""
    if exchange.status not in (400, 404):
        raise fail(f"counting a model the documents exclude from /chat/count was answered {exchange.status}, "
                   f"expected a 400 refusal (001: 'Claude models are not supported on this endpoint'): "
                   f"{exchange.excerpt(160)!r}")
