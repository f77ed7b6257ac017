"""Checks of what the official `openai` Python SDK made of a response (the `sdk-probes` feature)."""

# A test in `suites/conformance/sdk_tests.py` calls the SDK, records the raw exchange it sent and received, and
# puts an `SdkCall` (the SDK's result, or the exception it raised) in `exchange.context["sdk"]`. These checks are
# explicit: they run where such a test asks for them. The SDK builds its response objects leniently (a field of
# the wrong type is kept as is), so besides the SDK's own exceptions the checks re-validate each object against the
# SDK's declared type, which is what a typed client relies on. Failures quote the SDK's own exception text.

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aigw_conformance.suites.checks.registry import check, fail
from aigw_conformance.suites.checks.stream import DONE, USAGE_CHUNK_CONVENTION
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import Grounds, Severity

USAGE_ASKED = Grounds.documented("000_3222256926808af7.txt",
                                 "Include Usage: Set include_usage: true for token tracking")

MAX_ERROR_TEXT = 400


@dataclass(frozen=True)
class SdkCall:
    """One SDK call: what was called, its result (a model object, or a list of them for pages and streams),
    the exception it raised instead (also mid-stream, after some chunks), and for an error probe the
    exception class the SDK raises for the documented status."""

    call: str
    result: Any = None
    error: BaseException | None = None
    expected_error: type[BaseException] | None = None
    expected_status: int | None = None


def sdk_error_text(error: BaseException) -> str:
    """`ExceptionType: message` on one line, shortened; the SDK's (or pydantic's) own words."""
    text = " ".join(str(error).split()) or repr(error)
    if len(text) > MAX_ERROR_TEXT:
        text = text[:MAX_ERROR_TEXT] + "…"
    return f"{type(error).__name__}: {text}"


def sdk_call(exchange: Exchange) -> SdkCall:
    recorded = exchange.context.get("sdk")
    if not isinstance(recorded, SdkCall):
        raise fail("no SDK outcome was recorded for this exchange (a harness bug)")
    return recorded


def _parsed(exchange: Exchange, what: str) -> SdkCall:
    """The SDK call, failing with the SDK's exception when it could not parse the response."""
    recorded = sdk_call(exchange)
    if recorded.error is not None:
        raise fail(f"the openai SDK could not read {what}: `{recorded.call}` raised {sdk_error_text(recorded.error)}")
    return recorded


def revalidate(value: Any, where: str) -> None:
    """Validate an SDK object against its own declared (pydantic) type, as strictly as the type states."""
    to_dict = getattr(value, "to_dict", None)
    validate = getattr(type(value), "model_validate", None)
    if to_dict is None or validate is None:
        raise fail(f"{where} is {type(value).__name__}, not an SDK model object")
    try:
        validate(to_dict(warnings=False))
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        raise fail(f"{where} does not match the SDK's type {type(value).__name__}: "
                   f"{sdk_error_text(error)}") from None


def _each(values: Iterable[Any], where: str) -> None:
    for number, value in enumerate(values):
        revalidate(value, f"{where} #{number}")


@check("sdk.parses_models", severity=Severity.HIGH, auto=False)
def parses_models(exchange: Exchange) -> None:
    """`client.models.list()` and `retrieve()` parse into the SDK's `Model` objects."""
    recorded = _parsed(exchange, "the models response")
    if isinstance(recorded.result, list):
        if not recorded.result:
            raise fail(f"`{recorded.call}` yielded no model: the SDK found no `data` entries")
        _each(recorded.result, "listed model")
    else:
        revalidate(recorded.result, "the retrieved model")


def _choices(value: Any, where: str) -> list[Any]:
    choices = getattr(value, "choices", None)
    if not isinstance(choices, list):
        raise fail(f"{where} has no `choices` list the SDK can iterate (got {type(choices).__name__})")
    return choices


@check("sdk.parses_completion", severity=Severity.CRITICAL, auto=False)
def parses_completion(exchange: Exchange) -> None:
    """`client.chat.completions.create()` returns a `ChatCompletion` whose choices carry the answer text."""
    completion = _parsed(exchange, "the chat completion").result
    revalidate(completion, "the ChatCompletion")
    choices = _choices(completion, "the ChatCompletion")
    if not choices:
        raise fail("the SDK's ChatCompletion has no choices")
    for choice in choices:
        message = getattr(choice, "message", None)
        if not isinstance(getattr(message, "content", None), str) and not getattr(message, "tool_calls", None):
            raise fail(f"choice {getattr(choice, 'index', '?')}: `message.content` is "
                       f"{getattr(message, 'content', None)!r} and there are no tool calls; SDK users get no text")


def _wants_usage(exchange: Exchange) -> bool:
    options = exchange.request_json.get("stream_options") if isinstance(exchange.request_json, dict) else None
    return isinstance(options, dict) and options.get("include_usage") is True


@check("sdk.parses_stream", severity=Severity.CRITICAL, auto=False)
def parses_stream(exchange: Exchange) -> None:
    """Iterating `create(stream=True)` to the end yields `ChatCompletionChunk`s, the usage chunk last if asked."""
    recorded = sdk_call(exchange)
    chunks = recorded.result if isinstance(recorded.result, list) else []
    if recorded.error is not None:
        raise fail(f"the openai SDK could not read the stream: iterating `{recorded.call}` raised "
                   f"{sdk_error_text(recorded.error)} after {len(chunks)} chunks")
    if not chunks:
        raise fail(f"iterating `{recorded.call}` yielded no chunk")
    _each(chunks, "streamed chunk")
    if _wants_usage(exchange):
        last = chunks[-1]
        if all(getattr(chunk, "usage", None) is None for chunk in chunks):
            raise fail("stream_options.include_usage was asked, but no chunk the SDK yielded carries usage",
                       USAGE_ASKED)
        if getattr(last, "usage", None) is None or _choices(last, "the last chunk"):
            raise fail("stream_options.include_usage was asked, but the SDK's last chunk is not the usage chunk "
                       f"(usage={getattr(last, 'usage', None)!r}, {len(_choices(last, 'the last chunk'))} choices); "
                       "SDK users read usage from the final chunk", USAGE_CHUNK_CONVENTION)


def _wire_chunks(exchange: Exchange) -> list[dict[str, Any]]:
    """Every JSON object event of the SSE body, also any after `[DONE]` (which the SDK never reads)."""
    found: list[dict[str, Any]] = []
    for event in exchange.sse.events:
        if event.data == DONE:
            continue
        try:
            value = json.loads(event.data)
        except ValueError:
            continue
        if isinstance(value, dict):
            found.append(value)
    return found


def _texts(chunks: Iterable[dict[str, Any]]) -> dict[int, str]:
    texts: dict[int, str] = {}
    for chunk in chunks:
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") if isinstance(choice, dict) else None
            content = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(content, str) and isinstance(choice.get("index"), int):
                texts[choice["index"]] = texts.get(choice["index"], "") + content
    return texts


def _as_dict(value: Any) -> dict[str, Any]:
    to_dict = getattr(value, "to_dict", None)
    converted = to_dict(mode="json", warnings=False) if to_dict is not None else value
    return converted if isinstance(converted, dict) else {}


@check("sdk.stream_matches_chunks", severity=Severity.HIGH, auto=False)
def stream_matches_chunks(exchange: Exchange) -> None:
    """The SDK's stream yields every chunk on the wire, and the text it assembles is the streamed text."""
    recorded = sdk_call(exchange)
    seen = [_as_dict(chunk) for chunk in recorded.result] if isinstance(recorded.result, list) else []
    wire = _wire_chunks(exchange)
    if recorded.error is None and len(seen) != len(wire):
        lost = wire[len(seen):] if len(seen) < len(wire) else []
        what = f"; the first one it missed: {json.dumps(lost[0])[:160]}" if lost else ""
        raise fail(f"the SDK yielded {len(seen)} chunks but the stream holds {len(wire)} JSON chunks (the SDK stops "
                   f"at the first `data: [DONE]`){what}")
    sdk_texts, wire_texts = _texts(seen), _texts(wire[:len(seen)])
    if sdk_texts != wire_texts:
        raise fail(f"the text the SDK assembles, {sdk_texts!r}, differs from the streamed deltas, {wire_texts!r}")


def _tool_calls(value: Any) -> list[Any]:
    calls: list[Any] = []
    for choice in _choices(value, "the parsed completion"):
        calls += getattr(getattr(choice, "message", None), "tool_calls", None) or []
    return calls


@check("sdk.parses_tool_calls", severity=Severity.HIGH, auto=False)
def parses_tool_calls(exchange: Exchange) -> None:
    """`chat.completions.parse()` with a strict function tool and `tool_choice: required` parses each call's
    arguments into the tool's pydantic model."""
    recorded = _parsed(exchange, "the tool calls")
    completion = recorded.result
    revalidate(completion, "the ParsedChatCompletion")
    calls = _tool_calls(completion)
    if not calls:
        raise fail("tool_choice was 'required' but the SDK found no `message.tool_calls`")
    for call in calls:
        function = getattr(call, "function", None)
        arguments = getattr(function, "parsed_arguments", None)
        if arguments is None:
            raise fail(f"tool call {getattr(call, 'id', '?')!r} to {getattr(function, 'name', None)!r}: the SDK "
                       f"parsed no arguments from {getattr(function, 'arguments', None)!r}")
    reasons = {getattr(choice, "finish_reason", None) for choice in _choices(completion, "the parsed completion")}
    if reasons != {"tool_calls"}:
        raise fail(f"the choices calling tools end with finish_reason {sorted(map(str, reasons))}, not 'tool_calls'")


@check("sdk.parses_structured_output", severity=Severity.HIGH, auto=False)
def parses_structured_output(exchange: Exchange) -> None:
    """`chat.completions.parse(response_format=Model)` gives `message.parsed`, a valid instance of the model."""
    completion = _parsed(exchange, "the structured output").result
    choices = _choices(completion, "the parsed completion")
    if not choices:
        raise fail("the SDK's parsed completion has no choices")
    for choice in choices:
        message = getattr(choice, "message", None)
        if refusal := getattr(message, "refusal", None):
            raise fail(f"the model refused: {refusal!r}; `message.parsed` is None")
        parsed = getattr(message, "parsed", None)
        if parsed is None:
            raise fail(f"choice {getattr(choice, 'index', '?')}: `message.parsed` is None for content "
                       f"{getattr(message, 'content', None)!r}")
        try:
            type(parsed).model_validate(parsed.model_dump())
        except (AttributeError, ValueError) as error:
            raise fail(f"`message.parsed` is not a valid {type(parsed).__name__}: {sdk_error_text(error)}") from None


@check("sdk.typed_error", severity=Severity.HIGH, auto=False)
def typed_error(exchange: Exchange) -> None:
    """A documented error status raises the SDK's typed exception (AuthenticationError, BadRequestError, ...)."""
    recorded = sdk_call(exchange)
    expected, status = recorded.expected_error, recorded.expected_status
    name = expected.__name__ if expected else "an APIStatusError"
    if recorded.error is None:
        raise fail(f"`{recorded.call}` raised nothing: the gateway answered {exchange.status} "
                   f"{exchange.excerpt(160)!r}, so SDK users see success where {status} (the SDK's {name}) "
                   "was due")
    if expected is not None and not isinstance(recorded.error, expected):
        raise fail(f"`{recorded.call}` raised {sdk_error_text(recorded.error)}, not the SDK's {name} "
                   f"for {status}")


@check("sdk.error_body_readable", severity=Severity.MEDIUM, auto=False, inferred=True)
def error_body_readable(exchange: Exchange) -> None:
    """The SDK's exception exposes the error's `message` and `type` (`err.body`, `err.type`), read from the
    JSON error envelope."""
    recorded = sdk_call(exchange)
    if recorded.error is None:
        return  # sdk.typed_error reports a missing exception
    body = getattr(recorded.error, "body", None)
    if not isinstance(body, dict):
        raise fail(f"the SDK's {type(recorded.error).__name__} has no error object: `err.body` is {body!r}; the "
                   "body was not the JSON `{\"error\": {\"message\": ..., \"type\": ...}}` envelope")
    for key in ("message", "type"):
        if not isinstance(body.get(key), str) or not body.get(key):
            raise fail(f"the SDK's {type(recorded.error).__name__} reads error.{key} as {body.get(key)!r} "
                       f"(`err.body` is {json.dumps(body)[:160]}); SDK users branch on it")

