"""The Claude adapter: Anthropic's Messages API (`mocks.anthropic.wire`) behind the OpenAI chat format."""

# The request mapping is in `anthropic_request.py`, the stream's in `anthropic_stream.py`. The answer: text
# blocks → content, thinking → `reasoning`, tool_use → tool_calls (arguments: compact JSON of the input,
# ids kept), stop_reason → finish_reason, input/output tokens → prompt/completion tokens.

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, cast

from aigw_conformance.mocks.anthropic import wire
from aigw_conformance.mocks.openai import wire as oa
from aigw_conformance.mocks.reference.catalogue import ModelEntry
from aigw_conformance.mocks.reference.errors import provider_error
from aigw_conformance.mocks.reference.providers.anthropic_request import messages_request
from aigw_conformance.mocks.reference.providers.anthropic_stream import (
    ClaudeStream,
    finish_reason,
    tool_arguments,
    usage,
)
from aigw_conformance.mocks.reference.providers.base import (
    NativeCall,
    content_filter_defect,
    now,
    refusal_defect,
    supported,
)
from aigw_conformance.mocks.reference.providers.base import upstream_status as mapped_status
from aigw_conformance.mocks.reference.settings import GatewaySettings

ANTHROPIC_VERSION = "2023-06-01"


class ClaudeAdapter:
    def __init__(self, body: dict[str, Any], entry: ModelEntry, settings: GatewaySettings) -> None:
        self.provider, self.entry, self.settings = entry.provider, entry, settings
        self.request, self.output_tool = messages_request(supported(body, entry.provider, settings), entry, settings)
        self.no_max_tokens = settings.has("xlate-claude-no-max-tokens") and not (
            "max_completion_tokens" in body or "max_tokens" in body)
        self.created = now()

    def call(self) -> NativeCall:
        payload: dict[str, Any] = dict(self.request)
        if self.no_max_tokens:
            del payload["max_tokens"]
        headers = {"x-api-key": self.settings.upstream_key(self.provider), "anthropic-version": ANTHROPIC_VERSION}
        return NativeCall(self.settings.upstreams[self.provider] + "/messages", payload, headers)

    def completion(self, native: Any) -> dict[str, Any]:
        if not isinstance(native, dict) or native.get("type") != "message" or not isinstance(
                native.get("content"), list):
            raise provider_error(self.provider, "response is not an Anthropic message")
        message = cast(wire.Message, native)
        texts: list[str] = []
        thinking: list[str] = []
        calls: list[oa.ToolCall] = []
        for block in message["content"]:
            if block["type"] == "text":
                texts.append(block["text"])
            elif block["type"] == "thinking":
                thinking.append(block["thinking"])
            elif block["type"] == "tool_use" and block["name"] == self.output_tool:
                texts.append(tool_arguments(block))
            elif block["type"] == "tool_use":
                calls.append(oa.tool_call(block["id"], block["name"], tool_arguments(block)))
                if self.settings.has("xlate-claude-tool-args-object"):
                    calls[-1]["function"]["arguments"] = block["input"]  # type: ignore[typeddict-item]
        finish = finish_reason(message.get("stop_reason"), output_tool=self.output_tool is not None and not calls)
        content = "".join(texts) if texts or not calls else None
        choice = oa.choice(0, content, finish, tool_calls=calls, reasoning="".join(thinking) or None)
        refusal_defect([choice], self.settings, refused_as="content_filter")  # Anthropic's refusal, mapped
        content_filter_defect([choice], self.settings)
        return dict(oa.completion(id=message["id"], created=self.created, model=message.get("model", ""),
                                  choices=[choice], usage=usage(message.get("usage") or {}, "".join(thinking),
                                                                self.entry.encoding)))

    async def chunks(self, lines: AsyncIterator[str]) -> AsyncGenerator[dict[str, Any], None]:
        stream = ClaudeStream(self.provider, self.created, self.output_tool, self.entry.encoding)
        try:
            async for event in wire.aiter_events(lines):
                for chunk in stream.feed(event):
                    refusal_defect(chunk["choices"], self.settings, refused_as="content_filter")
                    content_filter_defect(chunk["choices"], self.settings)
                    yield dict(chunk)
                if stream.stopped:
                    return
        except wire.StreamFormatError as exc:
            raise provider_error(self.provider, f"malformed stream: {exc}") from None
        raise provider_error(self.provider, "stream ended before message_stop")

    def upstream_status(self, status: int, body: Any) -> int:
        return mapped_status(status, self.settings)
