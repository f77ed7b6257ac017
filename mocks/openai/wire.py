"""The OpenAI Chat Completions wire format: typed shapes, builders and the SSE data reader."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Sequence
from typing import Any, Literal, NotRequired, Required, TypedDict

from aigw_conformance.mocks.core.sse import DONE, aiter_events, iter_events

__all__ = [
    "DONE", "ChatCompletion", "ChatCompletionChunk", "ChatCompletionRequest", "ChatMessage", "Choice",
    "ChoiceLogprobs", "ChunkChoice", "Delta", "ErrorBody", "ErrorDetail", "FinishReason", "FunctionCall",
    "FunctionCallDelta", "Model", "ModelList", "ResponseMessage", "StreamOptions", "TokenLogprob", "ToolCall",
    "ToolCallDelta", "TopLogprob", "Usage", "aiter_sse_data", "choice", "choice_logprobs", "chunk",
    "chunk_choice", "completion", "error_body", "iter_sse_data", "model", "model_list", "token_logprob",
    "tool_call", "tool_call_delta", "usage",
]

FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "function_call"]


class ChatMessage(TypedDict, total=False):
    role: Required[str]
    content: str | list[dict[str, Any]] | None
    name: str
    tool_calls: list[dict[str, Any]]
    tool_call_id: str


class StreamOptions(TypedDict, total=False):
    include_usage: bool


class ChatCompletionRequest(TypedDict, total=False):
    model: Required[str]
    messages: Required[list[ChatMessage]]
    stream: bool | None
    stream_options: StreamOptions | None
    n: int | None
    max_completion_tokens: int | None
    max_tokens: int | None
    stop: str | list[str] | None
    seed: int | None
    temperature: float | None
    top_p: float | None
    user: str
    tools: list[dict[str, Any]]
    tool_choice: str | dict[str, Any]
    parallel_tool_calls: bool
    response_format: dict[str, Any]
    logprobs: bool | None
    top_logprobs: int | None
    reasoning_effort: str | None


class FunctionCall(TypedDict):
    name: str
    arguments: str


class ToolCall(TypedDict):
    """A complete tool call in a message: `arguments` is a JSON text (OpenAI never sends an object)."""

    id: str
    type: Literal["function"]
    function: FunctionCall


class FunctionCallDelta(TypedDict, total=False):
    name: str
    arguments: str


class ToolCallDelta(TypedDict, total=False):
    """A streamed piece of a tool call: the first carries `id`, `type` and `function.name` (with empty
    `arguments`), later ones only `index` and an `arguments` fragment; absent fields are left out, never null."""

    index: Required[int]
    id: str
    type: Literal["function"]
    function: FunctionCallDelta


class TopLogprob(TypedDict):
    token: str
    logprob: float
    bytes: list[int] | None


class TokenLogprob(TypedDict):
    token: str
    logprob: float
    bytes: list[int] | None
    top_logprobs: list[TopLogprob]


class ChoiceLogprobs(TypedDict):
    content: list[TokenLogprob] | None
    refusal: list[TokenLogprob] | None


class PromptTokensDetails(TypedDict):
    cached_tokens: int
    audio_tokens: int


class CompletionTokensDetails(TypedDict):
    reasoning_tokens: int
    audio_tokens: int
    accepted_prediction_tokens: int
    rejected_prediction_tokens: int


class Usage(TypedDict):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: PromptTokensDetails
    completion_tokens_details: CompletionTokensDetails


class ResponseMessage(TypedDict):
    role: Literal["assistant"]
    content: str | None
    reasoning: NotRequired[str]
    tool_calls: NotRequired[list[ToolCall]]
    refusal: str | None
    annotations: list[Any]


class Choice(TypedDict):
    index: int
    message: ResponseMessage
    logprobs: ChoiceLogprobs | None
    finish_reason: FinishReason


class ChatCompletion(TypedDict):
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    service_tier: str | None
    system_fingerprint: NotRequired[str]  # omitted when unknown: OpenAI's schema does not allow null


class Delta(TypedDict, total=False):
    role: Literal["assistant"]
    content: str | None
    reasoning: str
    tool_calls: list[ToolCallDelta]
    refusal: str | None


class ChunkChoice(TypedDict):
    index: int
    delta: Delta
    logprobs: ChoiceLogprobs | None
    finish_reason: FinishReason | None


class ChatCompletionChunk(TypedDict):
    id: str
    object: Literal["chat.completion.chunk"]
    created: int
    model: str
    service_tier: str | None
    system_fingerprint: NotRequired[str]  # omitted when unknown: OpenAI's schema does not allow null
    choices: list[ChunkChoice]
    usage: NotRequired[Usage | None]


class ErrorDetail(TypedDict):
    message: str
    type: str
    param: str | None
    code: str | None


class ErrorBody(TypedDict):
    error: ErrorDetail


class Model(TypedDict):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(TypedDict):
    object: Literal["list"]
    data: list[Model]


def usage(
    prompt_tokens: int, completion_tokens: int, *, cached_tokens: int = 0, reasoning_tokens: int = 0
) -> Usage:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning_tokens, "audio_tokens": 0,
            "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0,
        },
    }


def choice(
    index: int, content: str | None, finish_reason: FinishReason, *, tool_calls: Sequence[ToolCall] = (),
    reasoning: str | None = None, logprobs: ChoiceLogprobs | None = None, refusal: str | None = None,
) -> Choice:
    """A choice; `tool_calls` and `reasoning` (the vLLM-style reasoning text) appear only when given; `refusal`
    is the model's refusal message (a declined request: `content` None, finish `stop`)."""
    message: ResponseMessage = {"role": "assistant", "content": content}  # type: ignore[typeddict-item]
    if reasoning is not None:
        message["reasoning"] = reasoning
    if tool_calls:
        message["tool_calls"] = list(tool_calls)
    message["refusal"], message["annotations"] = refusal, []
    return {"index": index, "message": message, "logprobs": logprobs, "finish_reason": finish_reason}


def tool_call(id: str, name: str, arguments: str) -> ToolCall:
    return {"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}


def tool_call_delta(index: int, arguments: str, *, id: str | None = None, name: str | None = None) -> ToolCallDelta:
    """The first delta of a call (with `id` and `name`) or a later `arguments` fragment (without)."""
    if id is None or name is None:
        return {"index": index, "function": {"arguments": arguments}}
    return {"index": index, "id": id, "type": "function", "function": {"name": name, "arguments": arguments}}


def token_logprob(token: str, logprob: float, top: Sequence[tuple[str, float]]) -> TokenLogprob:
    """One output token's entry; `top` lists (token, logprob) pairs, most likely first."""
    return {
        "token": token, "logprob": logprob, "bytes": list(token.encode("utf-8")),
        "top_logprobs": [{"token": t, "logprob": lp, "bytes": list(t.encode("utf-8"))} for t, lp in top],
    }


def choice_logprobs(content: Sequence[TokenLogprob] | None) -> ChoiceLogprobs:
    return {"content": None if content is None else list(content), "refusal": None}


def completion(
    *, id: str, created: int, model: str, choices: Sequence[Choice], usage: Usage,
    system_fingerprint: str | None = None, service_tier: str | None = "default",
) -> ChatCompletion:
    body: ChatCompletion = {
        "id": id, "object": "chat.completion", "created": created, "model": model, "choices": list(choices),
        "usage": usage, "service_tier": service_tier,
    }
    if system_fingerprint is not None:
        body["system_fingerprint"] = system_fingerprint
    return body


def chunk_choice(
    index: int, delta: Delta, finish_reason: FinishReason | None = None, logprobs: ChoiceLogprobs | None = None
) -> ChunkChoice:
    return {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish_reason}


def chunk(
    *, id: str, created: int, model: str, choices: Sequence[ChunkChoice], include_usage: bool = False,
    usage: Usage | None = None, system_fingerprint: str | None = None, service_tier: str | None = "default",
) -> ChatCompletionChunk:
    """A `chat.completion.chunk`; with `include_usage` it carries `usage` (null unless given), as every
    chunk does when the request set `stream_options.include_usage`."""
    body: ChatCompletionChunk = {
        "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
        "service_tier": service_tier, "choices": list(choices),
    }
    if system_fingerprint is not None:
        body["system_fingerprint"] = system_fingerprint
    if include_usage:
        body["usage"] = usage
    return body


def error_body(message: str, type: str, code: str | None = None, param: str | None = None) -> ErrorBody:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def model(id: str, created: int, owned_by: str = "system") -> Model:
    return {"id": id, "object": "model", "created": created, "owned_by": owned_by}


def model_list(models: Iterable[Model]) -> ModelList:
    return {"object": "list", "data": list(models)}


def iter_sse_data(lines: Iterable[str | bytes]) -> Iterator[str]:
    """The `data` payload of each event of an upstream SSE stream, `"[DONE]"` included (so a missing
    terminator is detectable). `str` items are lines (httpx `iter_lines()`), `bytes` items raw chunks
    (`iter_bytes()`); LF, CR and CRLF endings, comments and other fields are all handled."""
    for event in iter_events(lines):
        yield event.data


async def aiter_sse_data(lines: AsyncIterable[str | bytes]) -> AsyncIterator[str]:
    """The async twin of `iter_sse_data` (for `aiter_lines()` / `aiter_bytes()`)."""
    async for event in aiter_events(lines):
        yield event.data
