"""The Gemini API wire format (camelCase JSON): typed shapes, builders and the stream readers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, NotRequired, Required, TypedDict, cast

from aigw_conformance.mocks.core.sse import aiter_events, iter_events

__all__ = [
    "STATUS", "BatchEmbedContentsRequest", "BatchEmbedContentsResponse", "Blob", "Candidate", "Content",
    "ContentEmbedding", "CountTokensRequest", "CountTokensResponse", "EmbedContentRequest",
    "EmbedContentResponse", "ErrorBody", "ErrorStatus", "FinishReason", "FunctionCall", "FunctionCallingConfig",
    "FunctionCallingMode", "FunctionDeclaration", "FunctionResponse", "GenerateContentRequest",
    "GenerateContentResponse", "GenerationConfig", "ListModelsResponse", "Model", "Part", "ThinkingConfig",
    "Tool", "ToolConfig", "UsageMetadata", "aiter_sse_data", "candidate", "content", "error_body",
    "function_call_part", "iter_json_array", "iter_sse_data", "response", "text_of", "text_part", "usage",
]

FinishReason = Literal[
    "FINISH_REASON_UNSPECIFIED", "STOP", "MAX_TOKENS", "SAFETY", "RECITATION", "LANGUAGE", "OTHER",
    "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL",
    "TOO_MANY_TOOL_CALLS",
]
FunctionCallingMode = Literal["MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED"]

STATUS: Mapping[int, str] = {
    400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
    409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 499: "CANCELLED", 500: "INTERNAL", 501: "UNIMPLEMENTED",
    503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}
"""HTTP status -> google.rpc status name (the canonical mapping; anything else is `UNKNOWN`)."""


class Blob(TypedDict):
    mimeType: str
    data: str  # base64


class FunctionCall(TypedDict, total=False):
    id: str
    name: Required[str]
    args: dict[str, Any]


class FunctionResponse(TypedDict, total=False):
    id: str
    name: Required[str]
    response: dict[str, Any]


class Part(TypedDict, total=False):
    """Exactly one data field (`text`, `inlineData`, `fileData`, `functionCall`, `functionResponse`);
    `thought` marks reasoning text, `thoughtSignature` (base64) must be echoed back in later turns."""

    text: str
    thought: bool
    thoughtSignature: str
    inlineData: Blob
    fileData: dict[str, str]
    functionCall: FunctionCall
    functionResponse: FunctionResponse


class Content(TypedDict, total=False):
    """`parts` is required in requests; a model turn with nothing in it (say, every output token spent on
    hidden thoughts) comes back as `{"role": "model"}`, proto3 JSON leaving the empty list out."""

    role: str  # "user" | "model" (absent = user)
    parts: list[Part]


class ThinkingConfig(TypedDict, total=False):
    thinkingBudget: int  # 0 off, -1 dynamic, >0 token budget
    includeThoughts: bool
    thinkingLevel: str


class GenerationConfig(TypedDict, total=False):
    temperature: float
    topP: float
    topK: int
    candidateCount: int
    maxOutputTokens: int
    stopSequences: list[str]
    responseMimeType: str
    responseSchema: dict[str, Any]  # OpenAPI-subset Schema, types may be upper-case ("OBJECT")
    responseJsonSchema: Any  # JSON Schema
    thinkingConfig: ThinkingConfig
    seed: int
    presencePenalty: float
    frequencyPenalty: float


class FunctionDeclaration(TypedDict, total=False):
    name: Required[str]
    description: str
    parameters: dict[str, Any]
    parametersJsonSchema: Any


class Tool(TypedDict, total=False):
    functionDeclarations: list[FunctionDeclaration]


class FunctionCallingConfig(TypedDict, total=False):
    mode: FunctionCallingMode
    allowedFunctionNames: list[str]


class ToolConfig(TypedDict, total=False):
    functionCallingConfig: FunctionCallingConfig


class GenerateContentRequest(TypedDict, total=False):
    contents: Required[list[Content]]
    systemInstruction: Content
    tools: list[Tool]
    toolConfig: ToolConfig
    safetySettings: list[dict[str, str]]
    generationConfig: GenerationConfig
    cachedContent: str


class Candidate(TypedDict):
    content: Content
    finishReason: NotRequired[FinishReason]
    index: int


class UsageMetadata(TypedDict):
    """Zero counts are left out, as proto3 JSON does (`thoughtsTokenCount` only when thinking)."""

    promptTokenCount: int
    candidatesTokenCount: NotRequired[int]
    thoughtsTokenCount: NotRequired[int]
    totalTokenCount: int


class GenerateContentResponse(TypedDict):
    candidates: list[Candidate]
    usageMetadata: UsageMetadata
    modelVersion: str
    responseId: str


BlockReason = Literal["BLOCK_REASON_UNSPECIFIED", "SAFETY", "OTHER", "BLOCKLIST", "PROHIBITED_CONTENT", "IMAGE_SAFETY"]


class SafetyRating(TypedDict):
    category: str
    probability: str


class PromptFeedback(TypedDict):
    blockReason: BlockReason
    safetyRatings: list[SafetyRating]


class BlockedResponse(TypedDict):
    """A prompt Gemini refuses to answer: `promptFeedback.blockReason` set and no `candidates` at all."""

    promptFeedback: PromptFeedback
    usageMetadata: UsageMetadata
    modelVersion: str
    responseId: str


Answered = GenerateContentResponse | BlockedResponse


class CountTokensRequest(TypedDict, total=False):
    contents: list[Content]
    generateContentRequest: GenerateContentRequest


class CountTokensResponse(TypedDict):
    totalTokens: int


class EmbedContentRequest(TypedDict, total=False):
    model: str
    content: Required[Content]
    taskType: str
    title: str
    outputDimensionality: int


class BatchEmbedContentsRequest(TypedDict):
    requests: list[EmbedContentRequest]


class ContentEmbedding(TypedDict):
    values: list[float]


class EmbedContentResponse(TypedDict):
    embedding: ContentEmbedding


class BatchEmbedContentsResponse(TypedDict):
    embeddings: list[ContentEmbedding]


class Model(TypedDict, total=False):
    name: Required[str]  # "models/gemini-3-pro"
    version: str
    displayName: str
    description: str
    inputTokenLimit: int
    outputTokenLimit: int
    supportedGenerationMethods: list[str]
    temperature: float
    maxTemperature: float
    topP: float
    topK: int
    thinking: bool


class ListModelsResponse(TypedDict, total=False):
    models: Required[list[Model]]
    nextPageToken: str


class ErrorStatus(TypedDict):
    code: int
    message: str
    status: str
    details: NotRequired[list[dict[str, Any]]]


class ErrorBody(TypedDict):
    error: ErrorStatus


def text_part(text: str, *, thought: bool = False) -> Part:
    return {"text": text, "thought": True} if thought else {"text": text}


def function_call_part(name: str, args: dict[str, Any], *, thought_signature: str | None = None) -> Part:
    part: Part = {"functionCall": {"name": name, "args": args}}
    if thought_signature is not None:
        part["thoughtSignature"] = thought_signature
    return part


def content(parts: Sequence[Part], role: str = "model") -> Content:
    return {"parts": list(parts), "role": role} if parts else {"role": role}


def candidate(index: int, parts: Sequence[Part], finish_reason: FinishReason | None = "STOP") -> Candidate:
    """A candidate; `finish_reason=None` for a streamed chunk that is not its candidate's last."""
    if finish_reason is None:
        return {"content": content(parts), "index": index}
    return {"content": content(parts), "finishReason": finish_reason, "index": index}


def usage(prompt: int, candidates: int = 0, thoughts: int = 0) -> UsageMetadata:
    out: dict[str, int] = {"promptTokenCount": prompt}
    if candidates:
        out["candidatesTokenCount"] = candidates
    if thoughts:
        out["thoughtsTokenCount"] = thoughts
    out["totalTokenCount"] = prompt + candidates + thoughts
    return cast(UsageMetadata, out)


def response(
    candidates: Sequence[Candidate], usage: UsageMetadata, *, model_version: str, response_id: str
) -> GenerateContentResponse:
    return {"candidates": list(candidates), "usageMetadata": usage, "modelVersion": model_version,
            "responseId": response_id}


def blocked_response(
    usage: UsageMetadata, *, model_version: str, response_id: str, reason: BlockReason = "SAFETY"
) -> BlockedResponse:
    """The answer to a blocked prompt (whole, or the one event of its stream)."""
    rating: SafetyRating = {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}
    return {"promptFeedback": {"blockReason": reason, "safetyRatings": [rating]}, "usageMetadata": usage,
            "modelVersion": model_version, "responseId": response_id}


def error_body(code: int, message: str, details: Sequence[dict[str, Any]] = ()) -> ErrorBody:
    """`{"error": {code, message, status, details?}}`; `details` is left out when empty, as Google does."""
    error: ErrorStatus = {"code": code, "message": message, "status": STATUS.get(code, "UNKNOWN")}
    if details:
        error["details"] = list(details)
    return {"error": error}


def text_of(candidate: Mapping[str, Any]) -> str:
    """The answer text of a candidate (or streamed candidate chunk): its non-thought text parts joined."""
    parts = (candidate.get("content") or {}).get("parts") or []
    return "".join(p.get("text", "") for p in parts if not p.get("thought"))


def iter_sse_data(lines: Iterable[str | bytes]) -> Iterator[str]:
    """The `data` payload of each event of a `streamGenerateContent?alt=sse` stream (one JSON
    `GenerateContentResponse` each; Gemini sends no terminator, the stream simply ends). `str` items are
    lines (httpx `iter_lines()`), `bytes` items raw chunks; LF, CR and CRLF endings and comments are handled."""
    for event in iter_events(lines):
        yield event.data


async def aiter_sse_data(lines: AsyncIterable[str | bytes]) -> AsyncIterator[str]:
    """The async twin of `iter_sse_data` (for `aiter_lines()` / `aiter_bytes()`)."""
    async for event in aiter_events(lines):
        yield event.data


def iter_json_array(chunks: Iterable[str | bytes]) -> Iterator[Any]:
    """The elements of a `streamGenerateContent` reply without `alt=sse`: one JSON array, streamed, whose
    elements are `GenerateContentResponse`s; each is yielded as soon as it is complete."""
    decoder, buffer, started = json.JSONDecoder(), "", False
    for chunk in chunks:
        buffer += chunk.decode("utf-8") if isinstance(chunk, bytes) else chunk
        while True:
            buffer = buffer.lstrip(" \t\r\n,")
            if not started and buffer.startswith("["):
                buffer, started = buffer[1:], True
                continue
            if not buffer or buffer.startswith("]"):
                break
            try:
                element, end = decoder.raw_decode(buffer)
            except ValueError:
                break  # incomplete: wait for more input
            buffer = buffer[end:]
            yield element
    if buffer.strip() not in ("", "]"):
        raise ValueError(f"truncated or malformed JSON array stream: {buffer[:40]!r}")
