"""The adapter protocol every upstream wire format implements, and the pieces the adapters share."""

from __future__ import annotations

import copy
import functools
import json
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from aigw_conformance.mocks.reference.catalogue import DOCUMENTED_PARAMETERS, UNSUPPORTED_PARAMETERS, ModelEntry
from aigw_conformance.mocks.reference.errors import GatewayError
from aigw_conformance.mocks.reference.settings import GatewaySettings
from aigw_conformance.mocks.reference.validation import completion_budget

# 001 "Reasoning Effort": the share of the completion budget given to reasoning.
REASONING_SHARES: dict[str, float] = {"low": 0.25, "medium": 0.33, "high": 0.50}
JSON_SCALARS = frozenset({str, int, float, bool, type(None)})
DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(?:;[^,;]*)*?);base64,(?P<data>.*)$", re.S)


@dataclass(frozen=True)
class NativeCall:
    """The upstream HTTP request an adapter wants sent: URL, JSON body and its provider's auth headers."""

    url: str
    payload: dict[str, Any]
    headers: dict[str, str]


class Adapter(Protocol):
    """One chat request's translation to and from a provider's native wire format. Built per request from
    the validated OpenAI-format body; every failure of the provider is raised as a `GatewayError`."""

    provider: str

    def call(self) -> NativeCall:
        """The native request (streaming when the body says `stream: true`)."""
        ...

    def completion(self, native: Any) -> dict[str, Any]:
        """The native non-streaming answer as an OpenAI `chat.completion`."""
        ...

    def chunks(self, lines: AsyncIterator[str]) -> AsyncGenerator[dict[str, Any], None]:
        """The native event stream (its lines) as OpenAI `chat.completion.chunk`s, a usage-only chunk last;
        raises `GatewayError` for an error event, a malformed stream or one cut short."""
        ...

    def upstream_status(self, status: int, body: Any) -> int:
        """The status to map onto the gateway's documented ones (a provider may word a bad key as a 400)."""
        ...


# Defects that lose a request parameter on the way upstream (see defects.py).
DROPPED_BY_DEFECT: dict[str, str] = {"n-ignored": "n", "stop-ignored": "stop",
                                     "response-format-dropped": "response_format",
                                     "parallel-tool-calls-dropped": "parallel_tool_calls",
                                     "logprobs-top-k-ignored": "top_logprobs"}


def json_copy(value: Any) -> Any:
    """A deep copy of a JSON value, without `copy.deepcopy`'s bookkeeping (anything else: deep-copied)."""
    kind = type(value)
    if kind is dict:
        return {key: json_copy(item) for key, item in value.items()}
    if kind is list:
        return [json_copy(item) for item in value]
    return value if kind in JSON_SCALARS else copy.deepcopy(value)


@functools.lru_cache(maxsize=64)
def _kept(provider: str, defects: frozenset[str] | None) -> frozenset[str]:
    """The parameters `supported` keeps for `provider` with `defects` switched on (None: no settings)."""
    kept = DOCUMENTED_PARAMETERS - UNSUPPORTED_PARAMETERS.get(provider, frozenset())
    if defects is not None:
        kept -= {name for defect, name in DROPPED_BY_DEFECT.items() if defect in defects}
    return frozenset(kept)


def supported(body: Mapping[str, Any], provider: str, settings: GatewaySettings | None = None) -> dict[str, Any]:
    """A copy of `body` holding only documented parameters the provider supports (000's support table:
    "unsupported parameters are silently ignored"), less what the switched-on defects of `settings` lose."""
    kept = _kept(provider, None if settings is None else settings.defects)
    payload = {key: json_copy(value) for key, value in body.items() if key in kept}
    if settings is not None and settings.has("xlate-reasoning-default-medium"):
        payload.setdefault("reasoning_effort", "medium")
    messages = payload.get("messages")
    for message in messages if isinstance(messages, list) else []:
        if settings is None or not isinstance(message, dict):
            continue
        if settings.has("tool-result-id-dropped") and message.get("role") == "tool":
            message.pop("tool_call_id", None)
        if settings.has("image-part-dropped") and isinstance(message.get("content"), list):
            message["content"] = text_of(message["content"])
    return payload


def reasoning_budget(effort: Any, max_tokens: int, settings: GatewaySettings, entry: ModelEntry) -> int | None:
    """001's budget for `reasoning_effort` (low 25%, medium 33%, high 50% of max tokens); None if unset."""
    if effort not in REASONING_SHARES:
        return None
    share = REASONING_SHARES["high" if settings.has("xlate-reasoning-budget-wrong") else effort]
    if settings.has("xlate-thinking-budget-of-model-max"):
        max_tokens = entry.max_completion_tokens  # the model's maximum, not the request's limit
    return int(max_tokens * share)


def max_tokens(body: dict[str, Any], entry: ModelEntry, settings: GatewaySettings) -> int:
    """The completion budget sent upstream: max_completion_tokens, max_tokens, else 50% of the model's maximum."""
    if settings.has("xlate-default-max-tokens-full") and not any(
            isinstance(body.get(name), int) for name in ("max_completion_tokens", "max_tokens")):
        return entry.max_completion_tokens  # the model's whole maximum instead of 000's 50%
    return completion_budget(body, entry)


def upstream_status(status: int, settings: GatewaySettings) -> int:
    """The provider's status as mapped; `xlate-upstream-5xx-as-400` blames the caller for a provider failure."""
    return 400 if settings.has("xlate-upstream-5xx-as-400") and status >= 500 else status


def content_filter_defect(choices: Any, settings: GatewaySettings) -> None:
    """`xlate-content-filter-as-stop`: a content-filter finish (OpenAI's, or mapped) is reported as `stop`."""
    if not settings.has("xlate-content-filter-as-stop") or not isinstance(choices, list):
        return
    for choice in choices:
        if isinstance(choice, dict) and choice.get("finish_reason") == "content_filter":
            choice["finish_reason"] = "stop"


def refusal_defect(choices: Any, settings: GatewaySettings, *, refused_as: str | None = None) -> None:
    """`refusal-as-empty-stop`: the `refusal` text of each message or delta is dropped (the OpenAI wire format), and
    the finish a provider's refusal is mapped to (`refused_as`: Anthropic's refusal → content_filter) says `stop`."""
    if not settings.has("refusal-as-empty-stop") or not isinstance(choices, list):
        return
    for choice in choices:
        if not isinstance(choice, dict):
            continue
        message, delta = choice.get("message"), choice.get("delta")
        if isinstance(message, dict) and message.get("refusal") is not None:
            message["refusal"] = None
        if isinstance(delta, dict):
            delta.pop("refusal", None)
        if refused_as is not None and choice.get("finish_reason") == refused_as:
            choice["finish_reason"] = "stop"


def text_of(content: Any) -> str:
    """The text of a message's content: the string, or its text parts joined (other parts ignored)."""
    if isinstance(content, str):
        return content
    parts = content if isinstance(content, list) else []
    return "".join(p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str))


def data_url(url: str, where: str) -> tuple[str, str] | None:
    """(media type, base64 data) of a `data:` URL; None for any other URL; 400 for a non-base64 data URL."""
    if not url.startswith("data:"):
        return None
    match = DATA_URL.match(url)
    if match is None:
        raise GatewayError(400, f"{where}: a data URL must be base64-encoded (data:<type>;base64,<data>)",
                           code="invalid_parameter", param=where)
    return match["mime"] or "application/octet-stream", match["data"]


def arguments(call: Any, where: str) -> dict[str, Any]:
    """The parsed `function.arguments` of an assistant tool call, for a provider that takes an object (Gemini,
    Anthropic). The schema admits any string (000 gives `tool_calls` no format), so a text that is not a JSON
    object is carried whole as `{"arguments": text}` rather than refused (decision positive.acceptance)."""
    function = call.get("function") if isinstance(call, dict) else None
    text = function.get("arguments") if isinstance(function, dict) else None
    try:
        value = json.loads(text) if isinstance(text, str) and text.strip() else {}
    except ValueError:
        value = None
    return value if isinstance(value, dict) else {"arguments": text}


def compact(value: Any) -> str:
    """Compact JSON, as tool-call arguments are sent (`{"a":1}`)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def tool_choice_name(choice: Any) -> str | None:
    """The function a named `tool_choice` forces, if it is one."""
    function = choice.get("function") if isinstance(choice, dict) else None
    name = function.get("name") if isinstance(function, dict) else None
    return name if isinstance(name, str) else None


def now() -> int:
    return int(time.time())
