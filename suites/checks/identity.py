"""Checks on what names an answer: a unique `id` per interaction, a current `created`, the model requested."""

from __future__ import annotations

import re
import time
from typing import Any

from aigw_conformance.suites.checks.output import answered, as_dict, request
from aigw_conformance.suites.checks.preconditions import has_sse_events, is_json_chat_reply, on_ai_api
from aigw_conformance.suites.checks.registry import check, fail, requires
from aigw_conformance.suites.checks.stream import chunks
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import Severity

ID_QUOTE = "000: 'id string Unique interaction identifier'"
CREATED_QUOTE = "000: 'created integer Unix timestamp of creation'"
# How far `created` may be from the harness's clock around the request. NTP-synchronised hosts agree within well
# under a second; five minutes is the usual bound on tolerated clock skew between hosts (Kerberos' default), so
# a gateway whose clock merely drifts passes, while one that copies a stale or made-up timestamp (a cached
# answer, a mock's fixed date, milliseconds instead of seconds) is off by days or more.
CREATED_TOLERANCE_S = 300
# OpenAI's convention for a dated snapshot of a model (gpt-5 -> gpt-5-2025-08-07; Anthropic: -20251001).
SNAPSHOT = r"-(?:\d{4}-\d{2}-\d{2}|\d{8})"


def answer_fields(exchange: Exchange, key: str) -> list[Any]:
    """`key` of the whole answer, or of every streamed chunk (in order)."""
    if exchange.stream_requested:
        return [chunk.get(key) for chunk in chunks(exchange)]
    try:
        return [as_dict(exchange.json).get(key)]
    except ValueError:  # not JSON (e.g. an event stream nobody asked for): the content checks say so
        return []


def answer_id(exchange: Exchange) -> Any:
    found = answer_fields(exchange, "id")
    return found[0] if found else None


@check("identity.unique_id", auto=False)
@requires(answered)
def unique_id(exchange: Exchange) -> None:
    """Two identical requests get two different `id`s (context `first_id`: the first answer's)."""
    first, again = exchange.context.get("first_id"), answer_id(exchange)
    if not isinstance(again, str) or not again:
        raise fail(f"the answer's id is {again!r}, not a non-empty string ({ID_QUOTE})")
    if first == again:
        raise fail(f"two identical requests were both answered with id {again!r}; an id that repeats for the same "
                   f"request identifies the request, not the interaction ({ID_QUOTE}). Is the upstream's (or a "
                   "cache's) id passed through?")


@check("identity.created_recent", auto=False)
@requires(answered)
def created_recent(exchange: Exchange) -> None:
    """`created` is the Unix time of the answer: within CREATED_TOLERANCE_S of the harness clock around the request
    (context `sent_at`: time.time() before sending)."""
    sent_at = exchange.context.get("sent_at")
    if not isinstance(sent_at, int | float):
        raise fail("the test recorded no send time (context sent_at): nothing to compare `created` with")
    earliest, latest = sent_at - CREATED_TOLERANCE_S, sent_at + exchange.elapsed_s + CREATED_TOLERANCE_S
    for number, created in enumerate(answer_fields(exchange, "created")):
        where = f"chunk #{number}'s" if exchange.stream_requested else "the answer's"
        if isinstance(created, bool) or not isinstance(created, int):
            raise fail(f"{where} created is {created!r}, not an integer ({CREATED_QUOTE})")
        if not earliest <= created <= latest:
            raise fail(f"{where} created is {created} ({_utc(created)}) but the request was sent at "
                       f"{int(sent_at)} ({_utc(sent_at)}): more than {CREATED_TOLERANCE_S} s apart ({CREATED_QUOTE}; "
                       "the tolerance allows for clock skew between hosts). Is the upstream's timestamp passed on?")


def _utc(seconds: float) -> str:
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
    except (OverflowError, OSError, ValueError):
        return "out of range"


def _names_model_asked(exchange: Exchange) -> bool:
    return on_ai_api(exchange) and isinstance(request(exchange).get("model"), str) and (
        is_json_chat_reply(exchange) or has_sse_events(exchange))


@check("identity.model_requested", severity=Severity.MEDIUM, inferred=True)
@requires(_names_model_asked)
def model_requested(exchange: Exchange) -> None:
    """The answer's `model` (every chunk's, streamed) is the model requested or a dated snapshot of it."""
    asked = str(request(exchange)["model"])
    allowed = re.compile(re.escape(asked) + f"(?:{SNAPSHOT})?")
    for number, named in enumerate(answer_fields(exchange, "model")):
        if not isinstance(named, str) or not allowed.fullmatch(named):
            where = f"chunk #{number}" if exchange.stream_requested else "the answer"
            raise fail(f"{where} names model {named!r} for a request for {asked!r}; convention (OpenAI, which "
                       f"answers a request for gpt-5 as gpt-5-2025-08-07): the model requested or a dated snapshot "
                       f"of it (000: 'model string Model used for inference'); another model means the request "
                       "was served by a model the caller did not choose")
