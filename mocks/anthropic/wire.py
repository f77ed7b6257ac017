"""The Anthropic Messages wire format: typed shapes, builders, the SSE event encoder/parser and an accumulator."""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Sequence
from typing import Any, Literal, NotRequired, Required, TypedDict

from aigw_conformance.mocks.core import sse

__all__ = [
    "EVENT_TYPES", "CacheCreation", "ContentBlock", "ContentBlockDeltaEvent", "ContentBlockStartEvent",
    "ContentBlockStopEvent", "CountTokensRequest", "Delta", "ErrorBody", "ErrorDetail", "ErrorEvent",
    "ImageBlockParam", "InputJSONDelta", "Message", "MessageAccumulator", "MessageDelta", "MessageDeltaEvent",
    "MessageDeltaUsage", "MessageParam", "MessageStartEvent", "MessageStopEvent", "MessagesRequest", "Metadata",
    "ModelInfo", "ModelList", "PingEvent", "SignatureDelta", "StopReason", "StreamErrorEvent", "StreamEvent",
    "StreamFormatError",
    "TextBlock", "TextBlockParam", "TextDelta", "ThinkingBlock", "ThinkingConfig", "ThinkingDelta",
    "TokenCount", "Tool", "ToolChoice", "ToolResultBlockParam", "ToolUseBlock", "ToolUseBlockParam", "Usage",
    "accumulate", "aiter_events", "content_block_delta", "content_block_start", "content_block_stop",
    "encode_event", "error_body", "error_event", "input_json_delta", "iter_events", "message",
    "message_delta", "message_start", "message_stop", "model_info", "model_list", "ping", "signature_delta",
    "text_block", "text_delta", "thinking_block", "thinking_delta", "token_count", "tool_use_block", "usage",
]

StopReason = Literal[
    "end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal", "model_context_window_exceeded"
]
EVENT_TYPES = (
    "message_start", "content_block_start", "ping", "content_block_delta", "content_block_stop", "message_delta",
    "message_stop", "error",
)

# ---- request ---------------------------------------------------------------------------------------------


class TextBlockParam(TypedDict, total=False):
    type: Required[Literal["text"]]
    text: Required[str]
    cache_control: dict[str, Any] | None


class ImageBlockParam(TypedDict, total=False):
    type: Required[Literal["image"]]
    source: Required[dict[str, Any]]  # {type: base64, media_type, data} or {type: url, url}


class ToolUseBlockParam(TypedDict, total=False):
    type: Required[Literal["tool_use"]]
    id: Required[str]
    name: Required[str]
    input: Required[dict[str, Any]]


class ToolResultBlockParam(TypedDict, total=False):
    type: Required[Literal["tool_result"]]
    tool_use_id: Required[str]
    content: str | list[TextBlockParam | ImageBlockParam]
    is_error: bool


class MessageParam(TypedDict):
    role: Literal["user", "assistant"]
    content: str | list[dict[str, Any]]


class Tool(TypedDict, total=False):
    name: Required[str]
    description: str
    input_schema: Required[dict[str, Any]]
    type: Literal["custom"]


class ToolChoice(TypedDict, total=False):
    type: Required[Literal["auto", "any", "tool", "none"]]
    name: str
    disable_parallel_tool_use: bool


class ThinkingConfig(TypedDict, total=False):
    type: Required[Literal["enabled", "disabled"]]
    budget_tokens: int


class Metadata(TypedDict, total=False):
    user_id: str | None


class CountTokensRequest(TypedDict, total=False):
    model: Required[str]
    messages: Required[list[MessageParam]]
    system: str | list[TextBlockParam]
    tools: list[Tool]
    tool_choice: ToolChoice
    thinking: ThinkingConfig


class MessagesRequest(CountTokensRequest, total=False):
    max_tokens: Required[int]
    metadata: Metadata
    stop_sequences: list[str]
    stream: bool
    temperature: float
    top_k: int
    top_p: float

# ---- response --------------------------------------------------------------------------------------------


class TextBlock(TypedDict):
    type: Literal["text"]
    text: str


class ThinkingBlock(TypedDict):
    type: Literal["thinking"]
    thinking: str
    signature: str


class ToolUseBlock(TypedDict):
    type: Literal["tool_use"]
    id: str
    name: str
    input: dict[str, Any]


ContentBlock = TextBlock | ThinkingBlock | ToolUseBlock


class CacheCreation(TypedDict):
    ephemeral_5m_input_tokens: int
    ephemeral_1h_input_tokens: int


class Usage(TypedDict):
    input_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    cache_creation: CacheCreation
    output_tokens: int
    service_tier: str


class Message(TypedDict):
    id: str
    type: Literal["message"]
    role: Literal["assistant"]
    model: str
    content: list[ContentBlock]
    stop_reason: StopReason | None
    stop_sequence: str | None
    usage: Usage


class TokenCount(TypedDict):
    input_tokens: int


class ModelInfo(TypedDict):
    type: Literal["model"]
    id: str
    display_name: str
    created_at: str


class ModelList(TypedDict):
    data: list[ModelInfo]
    has_more: bool
    first_id: str | None
    last_id: str | None


class ErrorDetail(TypedDict):
    type: str
    message: str


class ErrorBody(TypedDict):
    type: Literal["error"]
    error: ErrorDetail

# ---- stream events ---------------------------------------------------------------------------------------


class TextDelta(TypedDict):
    type: Literal["text_delta"]
    text: str


class InputJSONDelta(TypedDict):
    type: Literal["input_json_delta"]
    partial_json: str


class ThinkingDelta(TypedDict):
    type: Literal["thinking_delta"]
    thinking: str


class SignatureDelta(TypedDict):
    type: Literal["signature_delta"]
    signature: str


Delta = TextDelta | InputJSONDelta | ThinkingDelta | SignatureDelta


class MessageStartEvent(TypedDict):
    type: Literal["message_start"]
    message: Message


class ContentBlockStartEvent(TypedDict):
    type: Literal["content_block_start"]
    index: int
    content_block: ContentBlock


class PingEvent(TypedDict):
    type: Literal["ping"]


class ContentBlockDeltaEvent(TypedDict):
    type: Literal["content_block_delta"]
    index: int
    delta: Delta


class ContentBlockStopEvent(TypedDict):
    type: Literal["content_block_stop"]
    index: int


class MessageDelta(TypedDict):
    stop_reason: StopReason | None
    stop_sequence: str | None


class MessageDeltaUsage(TypedDict, total=False):
    output_tokens: Required[int]
    input_tokens: NotRequired[int]


class MessageDeltaEvent(TypedDict):
    type: Literal["message_delta"]
    delta: MessageDelta
    usage: MessageDeltaUsage


class MessageStopEvent(TypedDict):
    type: Literal["message_stop"]


class ErrorEvent(TypedDict):
    type: Literal["error"]
    error: ErrorDetail


StreamEvent = (
    MessageStartEvent | ContentBlockStartEvent | PingEvent | ContentBlockDeltaEvent | ContentBlockStopEvent
    | MessageDeltaEvent | MessageStopEvent | ErrorEvent
)

# ---- builders --------------------------------------------------------------------------------------------


def text_block(text: str) -> TextBlock:
    return {"type": "text", "text": text}


def thinking_block(thinking: str, signature: str) -> ThinkingBlock:
    return {"type": "thinking", "thinking": thinking, "signature": signature}


def tool_use_block(id: str, name: str, input: dict[str, Any]) -> ToolUseBlock:
    return {"type": "tool_use", "id": id, "name": name, "input": input}


def usage(input_tokens: int, output_tokens: int) -> Usage:
    """Usage with no prompt caching (the cache fields are present and zero, as Anthropic sends them)."""
    return {
        "input_tokens": input_tokens, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens": output_tokens, "service_tier": "standard",
    }


def message(
    *, id: str, model: str, content: Sequence[ContentBlock], stop_reason: StopReason | None,
    usage: Usage, stop_sequence: str | None = None,
) -> Message:
    return {
        "id": id, "type": "message", "role": "assistant", "model": model, "content": list(content),
        "stop_reason": stop_reason, "stop_sequence": stop_sequence, "usage": usage,
    }


def token_count(input_tokens: int) -> TokenCount:
    return {"input_tokens": input_tokens}


def model_info(id: str, display_name: str, created_at: str) -> ModelInfo:
    return {"type": "model", "id": id, "display_name": display_name, "created_at": created_at}


def model_list(models: Iterable[ModelInfo], has_more: bool = False) -> ModelList:
    data = list(models)
    return {
        "data": data, "has_more": has_more,
        "first_id": data[0]["id"] if data else None, "last_id": data[-1]["id"] if data else None,
    }


def error_body(type: str, message: str) -> ErrorBody:
    return {"type": "error", "error": {"type": type, "message": message}}


def message_start(message: Message) -> MessageStartEvent:
    """`message` as it starts a stream: no content, no stop reason, `output_tokens` 1 (as Anthropic sends)."""
    start: Message = {
        **message, "content": [], "stop_reason": None, "stop_sequence": None,
        "usage": {**message["usage"], "output_tokens": min(1, message["usage"]["output_tokens"])},
    }
    return {"type": "message_start", "message": start}


def content_block_start(index: int, block: ContentBlock) -> ContentBlockStartEvent:
    """The start of `block`, emptied: text and thinking start blank, a tool_use starts with `input: {}`."""
    empty: ContentBlock
    if block["type"] == "text":
        empty = text_block("")
    elif block["type"] == "thinking":
        empty = thinking_block("", "")
    else:
        empty = tool_use_block(block["id"], block["name"], {})
    return {"type": "content_block_start", "index": index, "content_block": empty}


def ping() -> PingEvent:
    return {"type": "ping"}


def text_delta(text: str) -> TextDelta:
    return {"type": "text_delta", "text": text}


def input_json_delta(partial_json: str) -> InputJSONDelta:
    return {"type": "input_json_delta", "partial_json": partial_json}


def thinking_delta(thinking: str) -> ThinkingDelta:
    return {"type": "thinking_delta", "thinking": thinking}


def signature_delta(signature: str) -> SignatureDelta:
    return {"type": "signature_delta", "signature": signature}


def content_block_delta(index: int, delta: Delta) -> ContentBlockDeltaEvent:
    return {"type": "content_block_delta", "index": index, "delta": delta}


def content_block_stop(index: int) -> ContentBlockStopEvent:
    return {"type": "content_block_stop", "index": index}


def message_delta(stop_reason: StopReason, stop_sequence: str | None, output_tokens: int) -> MessageDeltaEvent:
    return {
        "type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": stop_sequence},
        "usage": {"output_tokens": output_tokens},
    }


def message_stop() -> MessageStopEvent:
    return {"type": "message_stop"}


def error_event(type: str, message: str) -> ErrorEvent:
    return {"type": "error", "error": {"type": type, "message": message}}


def encode_event(event: StreamEvent) -> bytes:
    """`event: <type>\\ndata: <compact json>\\n\\n`: Anthropic names every event after its `type`."""
    return sse.encode_json(event, event=event["type"])

# ---- reading a stream ------------------------------------------------------------------------------------


class StreamFormatError(ValueError):
    """An Anthropic stream that breaks the wire format: non-JSON data, a name/type mismatch, events out of order."""


class StreamErrorEvent(Exception):
    """The stream carried Anthropic's `error` event (e.g. `overloaded_error` after the 200 headers)."""

    def __init__(self, error: ErrorDetail) -> None:
        super().__init__(f"{error.get('type')}: {error.get('message')}")
        self.error = error


def _decode(event: sse.SSEEvent) -> StreamEvent | None:
    try:
        payload = json.loads(event.data)
    except ValueError:
        raise StreamFormatError(f"event {event.event!r}: data is not JSON: {event.data[:80]!r}") from None
    if not isinstance(payload, dict):
        raise StreamFormatError(f"event {event.event!r}: data is not a JSON object")
    kind = payload.setdefault("type", event.event)
    if event.event != "message" and event.event != kind:
        raise StreamFormatError(f"event name {event.event!r} does not match its data type {kind!r}")
    if kind not in EVENT_TYPES:
        return None  # Anthropic may add event types; clients must skip ones they do not know
    result: StreamEvent = payload  # type: ignore[assignment]
    return result


def iter_events(lines: Iterable[str | bytes]) -> Iterator[StreamEvent]:
    """The events of an Anthropic SSE stream given as lines (`str`, httpx `iter_lines()`) or raw chunks (`bytes`),
    in any framing (LF, CR, CRLF, comments); unknown event types are skipped. Raises `StreamFormatError`."""
    for event in sse.iter_events(lines):
        if (decoded := _decode(event)) is not None:
            yield decoded


async def aiter_events(lines: AsyncIterable[str | bytes]) -> AsyncIterator[StreamEvent]:
    """The async twin of `iter_events` (for `aiter_lines()` / `aiter_bytes()`)."""
    async for event in sse.aiter_events(lines):
        if (decoded := _decode(event)) is not None:
            yield decoded


class MessageAccumulator:
    """Rebuilds the final `Message` from stream events (as the SDK's `get_final_message()` does); a tool_use
    block's `input` is the JSON of its concatenated `partial_json`, parsed at its `content_block_stop`."""

    def __init__(self) -> None:
        self._message: Message | None = None
        self._json: dict[int, str] = {}
        self.error: ErrorDetail | None = None
        self.stopped = False

    def feed(self, event: StreamEvent) -> None:
        if event["type"] == "error":
            self.error = event["error"]
            return
        if event["type"] == "ping":
            return
        if event["type"] == "message_start":
            if self._message is not None:
                raise StreamFormatError("a second message_start")
            self._message = {**event["message"], "content": list(event["message"]["content"])}
            return
        current = self.message
        if self.stopped:
            raise StreamFormatError(f"{event['type']} after message_stop")
        if event["type"] == "content_block_start":
            if event["index"] != len(current["content"]):
                raise StreamFormatError(f"content_block_start index {event['index']} out of order")
            current["content"].append(dict(event["content_block"]))  # type: ignore[arg-type]
        elif event["type"] == "content_block_delta":
            self._delta(self._block(event["index"]), event["index"], event["delta"])
        elif event["type"] == "content_block_stop":
            block = self._block(event["index"])
            if block["type"] == "tool_use":
                text = self._json.pop(event["index"], "")
                try:
                    block["input"] = json.loads(text) if text else {}
                except ValueError:
                    raise StreamFormatError(f"tool_use input is not JSON: {text[:80]!r}") from None
        elif event["type"] == "message_delta":
            current["stop_reason"] = event["delta"]["stop_reason"]
            current["stop_sequence"] = event["delta"]["stop_sequence"]
            current["usage"] = {**current["usage"], **event["usage"]}
        else:
            self.stopped = True

    def _block(self, index: int) -> ContentBlock:
        content = self.message["content"]
        if not 0 <= index < len(content):
            raise StreamFormatError(f"content block {index} was never started")
        return content[index]

    def _delta(self, block: ContentBlock, index: int, delta: Delta) -> None:
        if delta["type"] == "text_delta" and block["type"] == "text":
            block["text"] += delta["text"]
        elif delta["type"] == "thinking_delta" and block["type"] == "thinking":
            block["thinking"] += delta["thinking"]
        elif delta["type"] == "signature_delta" and block["type"] == "thinking":
            block["signature"] = delta["signature"]
        elif delta["type"] == "input_json_delta" and block["type"] == "tool_use":
            self._json[index] = self._json.get(index, "") + delta["partial_json"]
        else:
            raise StreamFormatError(f"a {delta['type']} for a {block['type']} block")

    @property
    def message(self) -> Message:
        if self._message is None:
            raise StreamFormatError("no message_start yet")
        return self._message


def accumulate(events: Iterable[StreamEvent]) -> Message:
    """The final message of a whole stream; raises `StreamErrorEvent` on an `error` event and
    `StreamFormatError` on a malformed stream, including one without `message_stop`."""
    accumulator = MessageAccumulator()
    for event in events:
        accumulator.feed(event)
        if accumulator.error is not None:
            raise StreamErrorEvent(accumulator.error)
    if not accumulator.stopped:
        raise StreamFormatError("the stream ended without message_stop")
    return accumulator.message


_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def base62(data: bytes, length: int) -> str:
    """`length` base62 digits of `data` (big-endian), as Anthropic's ids look (`msg_01...`, `toolu_01...`)."""
    number, out = int.from_bytes(data, "big"), []
    for _ in range(length):
        number, digit = divmod(number, 62)
        out.append(_BASE62[digit])
    return "".join(out)
