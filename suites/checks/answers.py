"""Checks on what answers carry when asked: logprobs, reasoning text, parallel tool calls, replayed reasoning."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from aigw_conformance.suites.checks.output import answered, as_dict, choices_of, request, usage_of
from aigw_conformance.suites.checks.registry import check, fail, requires
from aigw_conformance.suites.checks.shapes import json_body
from aigw_conformance.suites.checks.stream import chunks
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import Severity


@dataclass
class Carried:
    """What one choice carries besides its content: its logprobs entries (None: no logprobs object anywhere)
    and its reasoning text (None: none), whole or put together from the stream's deltas."""

    index: Any
    content: str | None = None
    logprobs: list[Any] | None = None
    logprobs_seen: list[Any] = field(default_factory=list)  # every `logprobs` value the choice carried
    reasoning: str | None = None


def _add_logprobs(carried: Carried, value: Any) -> None:
    carried.logprobs_seen.append(value)
    entries = value.get("content") if isinstance(value, dict) else None
    if isinstance(entries, list):
        carried.logprobs = [*(carried.logprobs or []), *entries]


def carried_by(exchange: Exchange) -> list[Carried]:
    """Each choice's content, logprobs entries and reasoning text, in index order."""
    found: dict[Any, Carried] = {}
    if exchange.stream_requested:
        for chunk in chunks(exchange):
            for choice in chunk.get("choices") or []:
                if not isinstance(choice, dict):
                    continue
                carried = found.setdefault(choice.get("index"), Carried(choice.get("index")))
                delta = as_dict(choice.get("delta"))
                for key in ("content", "reasoning"):
                    if isinstance(delta.get(key), str):
                        setattr(carried, key, (getattr(carried, key) or "") + delta[key])
                if "logprobs" in choice:
                    _add_logprobs(carried, choice["logprobs"])
        return [found[key] for key in sorted(found, key=str)]
    body = json_body(exchange)
    listed = body.get("choices") if isinstance(body, dict) else None
    for choice in listed if isinstance(listed, list) else []:
        if not isinstance(choice, dict):
            continue
        message = as_dict(choice.get("message"))
        carried = Carried(choice.get("index"))
        carried.content = message["content"] if isinstance(message.get("content"), str) else None
        carried.reasoning = message["reasoning"] if isinstance(message.get("reasoning"), str) else None
        if "logprobs" in choice:
            _add_logprobs(carried, choice["logprobs"])
        found[carried.index] = carried
    return [found[key] for key in sorted(found, key=str)]


def _top_k(exchange: Exchange) -> int:
    top = request(exchange).get("top_logprobs")
    return top if isinstance(top, int) and not isinstance(top, bool) and top > 0 else 0


def _logprob_problem(entry: Any, where: str) -> str | None:
    """What is wrong with one `{token, logprob, bytes}` object, or None."""
    if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
        return f"{where} is {entry!r}, not an object with a string `token`"
    logprob = entry.get("logprob")
    if isinstance(logprob, bool) or not isinstance(logprob, int | float) or math.isnan(logprob) or logprob > 0:
        return f"{where}.logprob is {logprob!r}; a log probability is a number <= 0"
    raw = entry.get("bytes")
    if raw is not None and not (isinstance(raw, list) and all(
            isinstance(b, int) and not isinstance(b, bool) and 0 <= b <= 255 for b in raw)):
        return f"{where}.bytes is {raw!r}; expected null or a list of byte values 0..255"
    return None


def _entry_bytes(entry: dict[str, Any]) -> bytes:
    raw = entry.get("bytes")
    return bytes(raw) if isinstance(raw, list) else str(entry["token"]).encode()


def _asks_logprobs(exchange: Exchange) -> bool:
    return request(exchange).get("logprobs") is True


@check("logprobs.content", auto=False)
@requires(answered)
def content(exchange: Exchange) -> None:
    """With `logprobs: true, top_logprobs: k`, each choice's logprobs.content has one entry per generated token
    (token, logprob <= 0, bytes, k top_logprobs), and the entries spell the content."""
    k, n = _top_k(exchange), len(choices_of(exchange))
    if not _asks_logprobs(exchange):
        raise fail("the request did not ask for logprobs: nothing to check")
    for choice in carried_by(exchange):
        if choice.content is None:
            continue  # a tool call: logprobs cover generated text
        if choice.logprobs is None:
            raise fail(f"choice {choice.index} carries no logprobs.content (got {choice.logprobs_seen[:2]!r}) "
                       "although the request asked `logprobs: true` (000: 'choices[].logprobs: Log probabilities "
                       "(when requested)')")
        for i, entry in enumerate(choice.logprobs):
            where = f"choice {choice.index} logprobs.content[{i}]"
            if problem := _logprob_problem(entry, where):
                raise fail(problem)
            top = entry.get("top_logprobs")
            if not isinstance(top, list) or len(top) != k:
                shown = len(top) if isinstance(top, list) else repr(top)
                raise fail(f"{where}.top_logprobs holds {shown} entries for top_logprobs={k} (000: 'Number of top "
                           "logprobs per token'); is top_logprobs forwarded to the provider?")
            for j, alternative in enumerate(top):
                if problem := _logprob_problem(alternative, f"{where}.top_logprobs[{j}]"):
                    raise fail(problem)
        spelled = b"".join(_entry_bytes(entry) for entry in choice.logprobs)
        if spelled != choice.content.encode():
            raise fail(f"choice {choice.index}: the logprobs tokens spell {spelled[:80]!r}, the content is "
                       f"{choice.content[:80]!r}; expected one entry per generated token, in order")
        usage = usage_of(exchange) or {}
        completion, details = usage.get("completion_tokens"), as_dict(usage.get("completion_tokens_details"))
        spent = details.get("reasoning_tokens")
        reasoning = spent if isinstance(spent, int) else 0
        if n == 1 and isinstance(completion, int) and len(choice.logprobs) != completion - reasoning:
            raise fail(f"choice {choice.index} has {len(choice.logprobs)} logprobs entries for "
                       f"{completion - reasoning} generated tokens (usage.completion_tokens {completion}, "
                       f"reasoning {reasoning})")


@check("logprobs.absent_unless_requested", severity=Severity.MEDIUM, auto=False)
@requires(answered)
def absent_unless_requested(exchange: Exchange) -> None:
    """Without `logprobs: true`, no choice carries logprobs (null or absent): they are returned when requested."""
    if _asks_logprobs(exchange):
        raise fail("the request asked for logprobs: nothing to check")
    for choice in carried_by(exchange):
        given = [value for value in choice.logprobs_seen if value is not None]
        if given:
            raise fail(f"choice {choice.index} carries logprobs {str(given[0])[:120]} although the request did not "
                       "ask for them (000: 'choices[].logprobs: Log probabilities (when requested)')")


@check("reasoning.text_returned", auto=False)
@requires(answered)
def text_returned(exchange: Exchange) -> None:
    """With reasoning_effort, every choice carries its reasoning as text: message.reasoning whole, `reasoning`
    deltas streamed (reasoning relayed as `content` deltas leaves none)."""
    field_name = "delta.reasoning" if exchange.stream_requested else "message.reasoning"
    found = carried_by(exchange)
    if not found:
        raise fail("the answer holds no choice")
    details = as_dict((usage_of(exchange) or {}).get("completion_tokens_details"))
    spent = f" (usage says {details['reasoning_tokens']} reasoning tokens)" if "reasoning_tokens" in details else ""
    for choice in found:
        if not choice.reasoning or not choice.reasoning.strip():
            raise fail(f"choice {choice.index} carries no {field_name} text{spent} although reasoning_effort was "
                       f"{request(exchange).get('reasoning_effort')!r} and the target lists the model as returning "
                       "it (000: 'reasoning: Reasoning process (when reasoning enabled)', 'delta.reasoning')")


@check("reasoning.assistant_accepted", auto=False)
def assistant_accepted(exchange: Exchange) -> None:
    """A conversation whose assistant message carries `reasoning` (000: 'reasoning: Reasoning text (for assistant
    messages)') is accepted."""
    if exchange.status != 200:
        raise fail(f"a conversation replaying an assistant turn with its `reasoning` was answered {exchange.status}: "
                   f"{exchange.excerpt(200)!r}; 000 lists `reasoning` among the message fields")


@check("tools.parallel_honoured", auto=False)
@requires(answered)
def parallel_honoured(exchange: Exchange) -> None:
    """With `parallel_tool_calls: false` each choice makes at most one tool call (and, with tool_choice required,
    one); context `parallel_calls`: how many the same request made without the restriction."""
    if request(exchange).get("parallel_tool_calls") is not False:
        raise fail("the request does not set parallel_tool_calls: false: nothing to check")
    before = exchange.context.get("parallel_calls")
    for choice in choices_of(exchange):
        if len(choice.tool_calls) > 1:
            names = [as_dict(call.get("function")).get("name") for call in choice.tool_calls]
            shown = f" (as without it: {before})" if isinstance(before, int) else ""
            raise fail(f"choice {choice.index} makes {len(choice.tool_calls)} tool calls {names}{shown} although "
                       "parallel_tool_calls is false (000: 'parallel_tool_calls: Allow parallel tool calls'); is it "
                       "forwarded to the provider?")
        if not choice.tool_calls and request(exchange).get("tool_choice") == "required":
            raise fail(f"choice {choice.index} makes no tool call although tool_choice is required")
