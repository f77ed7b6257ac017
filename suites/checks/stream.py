"""Checks on SSE chat completion streams: framing, chunk schema, identity, role, usage, [DONE]."""

from __future__ import annotations

import json
from typing import Any

from aigw_conformance.suites.checks.chat import FINISH_REASONS, check_usage_arithmetic
from aigw_conformance.suites.checks.preconditions import has_sse_events, is_stream_reply, on_ai_api
from aigw_conformance.suites.checks.registry import check, fail, requires
from aigw_conformance.suites.checks.shapes import require_component, schema_failure, schema_violations
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import Grounds, Severity

DONE = "[DONE]"


def chunks(exchange: Exchange) -> list[dict[str, Any]]:
    """The JSON chunks before `[DONE]`; events that are not JSON objects are left to sse.framing."""
    parsed: list[dict[str, Any]] = []
    for event in exchange.sse.events:
        if event.data == DONE:
            break
        try:
            value = json.loads(event.data)
        except ValueError:
            continue
        if isinstance(value, dict):
            parsed.append(value)
    return parsed


def _include_usage(exchange: Exchange) -> bool:
    options = exchange.request_json.get("stream_options") if isinstance(exchange.request_json, dict) else None
    return isinstance(options, dict) and options.get("include_usage") is True


@check("sse.content_type", severity=Severity.CRITICAL)
@requires(is_stream_reply)
def content_type(exchange: Exchange) -> None:
    """A streamed reply is served as `text/event-stream`."""
    if exchange.content_type != "text/event-stream":
        raise fail(f"content-type is {exchange.content_type!r}; SSE clients need 'text/event-stream'")


@check("sse.framing", severity=Severity.CRITICAL)
@requires(is_stream_reply)
def framing(exchange: Exchange) -> None:
    """The body is well-formed SSE whose events each hold one JSON chunk or `[DONE]`."""
    parsed = exchange.sse
    if parsed.problems:
        more = len(parsed.problems) - 3 + parsed.more_problems
        raise fail("malformed SSE: " + "; ".join(parsed.problems[:3]) + (f" (+{more} more)" if more > 0 else ""))
    if not parsed.events:
        raise fail(f"no SSE events in the stream body: {exchange.excerpt()!r}")
    for number, event in enumerate(parsed.events):
        if event.data == DONE:
            continue
        try:
            value = json.loads(event.data)
        except ValueError:
            raise fail(f"event #{number} is neither JSON nor [DONE]: {event.data[:120]!r}") from None
        if not isinstance(value, dict):
            raise fail(f"event #{number} is JSON but not an object: {event.data[:120]!r}")


@check("sse.chunk_schema", severity=Severity.HIGH)
@requires(has_sse_events)
def chunk_schema(exchange: Exchange) -> None:
    """Every chunk matches its API's chunk schema (ChatCompletionChunk, ClientChatCompletionChunk)."""
    component = require_component(exchange, "text/event-stream")
    for number, chunk in enumerate(chunks(exchange)):
        violations = schema_violations(component, chunk)
        if violations:
            raise schema_failure(f"chunk #{number} does not match {component}", violations)


def _same_everywhere(exchange: Exchange, key: str) -> None:
    seen = [chunk.get(key) for chunk in chunks(exchange)]
    if not seen:
        raise fail("the stream holds no JSON chunk")
    for number, value in enumerate(seen):
        if value != seen[0]:
            raise fail(f"chunk #{number} has {key}={value!r} but chunk #0 has {key}={seen[0]!r}; "
                       f"every chunk of one completion must carry the same {key}")


@check("sse.stable_id")
@requires(has_sse_events)
def stable_id(exchange: Exchange) -> None:
    """Every chunk carries the same `id`."""
    _same_everywhere(exchange, "id")


@check("sse.stable_created", severity=Severity.MEDIUM)
@requires(has_sse_events)
def stable_created(exchange: Exchange) -> None:
    """Every chunk carries the same `created` timestamp."""
    _same_everywhere(exchange, "created")


@check("sse.stable_model", severity=Severity.MEDIUM)
@requires(has_sse_events)
def stable_model(exchange: Exchange) -> None:
    """Every chunk carries the same `model`."""
    _same_everywhere(exchange, "model")


@check("sse.chunk_object")
@requires(has_sse_events)
def chunk_object(exchange: Exchange) -> None:
    """`object` is `chat.completion.chunk` in every chunk."""
    for number, chunk in enumerate(chunks(exchange)):
        if chunk.get("object") != "chat.completion.chunk":
            raise fail(f"chunk #{number} has object={chunk.get('object')!r}, expected 'chat.completion.chunk'")


@check("sse.first_delta_role", inferred=True)
@requires(has_sse_events)
def first_delta_role(exchange: Exchange) -> None:
    """The first delta of every choice carries `role: assistant` (convention: 002's stream shows it, 001's one-chunk
    stream starts with content; OpenAI clients take the role from the first delta)."""
    seen: set[int] = set()
    for number, chunk in enumerate(chunks(exchange)):
        for choice in chunk.get("choices") or []:
            index = choice.get("index")
            if index in seen:
                continue
            seen.add(index)
            role = (choice.get("delta") or {}).get("role")
            if role != "assistant":
                raise fail(f"the first delta of choice {index} (chunk #{number}) has role {role!r}; "
                           "OpenAI clients take the role from the first delta and expect 'assistant'")
    if not seen:
        raise fail("no chunk carries a choice delta")


@check("sse.done_last", severity=Severity.CRITICAL)
@requires(is_stream_reply)
def done_last(exchange: Exchange) -> None:
    """The stream ends with exactly one `data: [DONE]` event, and nothing follows it."""
    events = exchange.sse.events
    done_at = [number for number, event in enumerate(events) if event.data == DONE]
    if not done_at:
        raise fail("the stream ended without `data: [DONE]`; clients that wait for it hang or report an error")
    if len(done_at) > 1 or done_at[0] != len(events) - 1:
        raise fail(f"[DONE] must be the last event and appear once; found at {done_at} of {len(events)} events")


# 000 says only "Include Usage: Set include_usage: true for token tracking": where the usage comes, and that it comes
# only when asked, is OpenAI's stream (the reference's stream_options.include_usage text), a convention here.
USAGE_CHUNK_CONVENTION = Grounds.convention(
    "OpenAI's stream_options.include_usage: \"an additional chunk will be streamed before the data: [DONE] message "
    "... the choices field will always be an empty array. All other chunks will also include a usage field, but "
    "with a null value\"; 000 names include_usage (\"Set include_usage: true for token tracking\") but not where "
    "the usage comes, nor that it comes only when asked", source="OpenAI stream_options.include_usage")


@check("sse.usage_chunk_iff_requested")
@requires(has_sse_events)
def usage_chunk_iff_requested(exchange: Exchange) -> None:
    """Usage comes when `stream_options.include_usage` is true (documented); as OpenAI's stream, in one last
    usage-only chunk (empty `choices`), and only then (convention)."""
    all_chunks = chunks(exchange)
    with_usage = [number for number, chunk in enumerate(all_chunks) if chunk.get("usage") is not None]
    if not _include_usage(exchange):
        if with_usage:
            raise fail(f"chunk #{with_usage[0]} carries usage although include_usage was not requested",
                       USAGE_CHUNK_CONVENTION)
        return
    if not with_usage:
        raise fail("include_usage was requested but no chunk carries usage")
    last = len(all_chunks) - 1
    if with_usage != [last]:
        raise fail(f"usage must appear only in the final chunk #{last}; found in chunks {with_usage}",
                   USAGE_CHUNK_CONVENTION)
    if all_chunks[last].get("choices") != []:
        raise fail(f"the usage chunk must have `choices: []`, got {all_chunks[last].get('choices')!r}",
                   USAGE_CHUNK_CONVENTION)


@check("sse.usage_arithmetic")
@requires(has_sse_events)
def usage_arithmetic(exchange: Exchange) -> None:
    """In the usage chunk, total_tokens = prompt_tokens + completion_tokens."""
    for number, chunk in enumerate(chunks(exchange)):
        if chunk.get("usage") is not None:
            check_usage_arithmetic(chunk["usage"], f"chunk #{number}")


EMPTY_AFTER_FINISH = Grounds.convention(
    "000 says finish_reason tells \"How generation ended\"; an entry for the choice after it that carries nothing "
    "(no content, no tool call, no finish_reason) generates nothing, and OpenAI's stream sends none",
    source="OpenAI chat.completion.chunk")


def _said(delta: Any) -> dict[str, bool]:
    """Which of a delta's fields carry something (role alone says nothing new)."""
    fields = delta if isinstance(delta, dict) else {}
    return {key: value not in (None, "", [], {}) for key, value in fields.items() if key != "role"}


@check("sse.finish_reason")
@requires(has_sse_events)
def finish_reason(exchange: Exchange) -> None:
    """A finish_reason is one of the documented four, given once per choice, in its last chunk: nothing is
    generated after it (documented); an empty entry for the finished choice later (OpenAI never sends one) is a
    convention."""
    finished: dict[int, str] = {}
    for number, chunk in enumerate(chunks(exchange)):
        for choice in chunk.get("choices") or []:
            index, reason = choice.get("index"), choice.get("finish_reason")
            if index in finished and (reason is not None or any(_said(choice.get("delta")).values())):
                raise fail(f"chunk #{number} continues choice {index} after it finished ({finished[index]!r}): "
                           f"{json.dumps(choice)[:160]}")
            if index in finished:
                raise fail(f"chunk #{number} repeats choice {index} with an empty delta after it finished "
                           f"({finished[index]!r}); OpenAI sends nothing more for a finished choice",
                           EMPTY_AFTER_FINISH)
            if reason is None:
                continue
            if reason not in FINISH_REASONS:
                raise fail(f"chunk #{number}: finish_reason {reason!r} is not one of {sorted(FINISH_REASONS)}")
            finished[index] = reason


def _ai_stream(exchange: Exchange) -> bool:
    return on_ai_api(exchange) and has_sse_events(exchange)


@check("sse.finish_reason_given", inferred=True)
@requires(_ai_stream)
def finish_reason_given(exchange: Exchange) -> None:
    """On the AI API every streamed choice ends with a finish_reason (convention: 000's table gives choices a
    finish_reason, but neither document's stream example carries one; 002's client streams need none)."""
    finished = {c.get("index") for chunk in chunks(exchange) for c in chunk.get("choices") or []
                if isinstance(c, dict) and c.get("finish_reason") is not None}
    started = {c.get("index") for chunk in chunks(exchange) for c in chunk.get("choices") or [] if isinstance(c, dict)}
    if missing := started - finished:
        raise fail(f"choices {sorted(missing, key=str)} never received a finish_reason; OpenAI clients read how "
                   "the generation ended from the last chunk")
