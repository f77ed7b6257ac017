"""Anthropic's answer → OpenAI's: stop reasons, usage, and the stream's events as `chat.completion.chunk`s."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aigw_conformance.mocks.anthropic import wire
from aigw_conformance.mocks.core.tokens import count_tokens
from aigw_conformance.mocks.openai import wire as oa
from aigw_conformance.mocks.reference.errors import provider_error
from aigw_conformance.mocks.reference.providers.base import compact

# Anthropic stop_reason → OpenAI finish_reason (000 "Finish Reason Values"); anything unknown → stop.
FINISH_REASONS: dict[str, oa.FinishReason] = {
    "end_turn": "stop", "stop_sequence": "stop", "pause_turn": "stop", "max_tokens": "length",
    "model_context_window_exceeded": "length", "tool_use": "tool_calls", "refusal": "content_filter",
}


def finish_reason(stop_reason: Any, *, output_tool: bool = False) -> oa.FinishReason:
    """The finish reason; a forced structured-output tool is the answer itself, so it ends with `stop`."""
    reason = FINISH_REASONS.get(stop_reason, "stop") if isinstance(stop_reason, str) else "stop"
    return "stop" if output_tool and reason == "tool_calls" else reason


def usage(native: Mapping[str, Any], thinking: str, encoding: str) -> oa.Usage:
    """input (+ cache reads and writes) → prompt_tokens, output → completion_tokens; reasoning_tokens counts
    the thinking text (Claude's tokenizer is not public: `encoding` stands in, the mock's own rule)."""
    cached = int(native.get("cache_read_input_tokens") or 0)
    prompt = int(native.get("input_tokens") or 0) + cached + int(native.get("cache_creation_input_tokens") or 0)
    output = int(native.get("output_tokens") or 0)
    reasoning = min(count_tokens(thinking, encoding), output) if thinking else 0
    return oa.usage(prompt, output, cached_tokens=cached, reasoning_tokens=reasoning)


class ClaudeStream:
    """Turns Anthropic's events, one at a time, into OpenAI chunks: message_start → the role delta; text and
    thinking deltas → content and reasoning; a tool_use start → the call's first delta (id, type, name,
    arguments ""), its input_json_delta → arguments fragments; message_delta → the finish chunk;
    message_stop → the usage chunk. The forced structured-output tool streams as content instead."""

    def __init__(self, provider: str, created: int, output_tool: str | None, encoding: str) -> None:
        self.provider, self.created, self.output_tool, self.encoding = provider, created, output_tool, encoding
        self.id, self.model = "", ""
        self.native_usage: dict[str, Any] = {}
        self.thinking: list[str] = []
        self.calls: dict[int, int] = {}  # content block index → tool call index
        self.outputs: set[int] = set()  # content block indexes of the structured-output tool
        self.stopped = False

    def _chunk(self, delta: oa.Delta, finish: oa.FinishReason | None = None) -> oa.ChatCompletionChunk:
        choice = oa.chunk_choice(0, delta, finish)
        return oa.chunk(id=self.id, created=self.created, model=self.model, choices=[choice], include_usage=True)

    def feed(self, event: wire.StreamEvent) -> list[oa.ChatCompletionChunk]:
        if event["type"] == "message_start":
            message = event["message"]
            self.id, self.model, self.native_usage = message["id"], message["model"], dict(message["usage"])
            return [self._chunk({"role": "assistant", "content": ""})]
        if event["type"] == "content_block_start":
            return self._start(event["index"], event["content_block"])
        if event["type"] == "content_block_delta":
            return self._delta(event["index"], event["delta"])
        if event["type"] == "message_delta":
            self.native_usage.update(event["usage"])
            stop = event["delta"]["stop_reason"]
            return [self._chunk({}, finish_reason(stop, output_tool=bool(self.outputs) and not self.calls))]
        if event["type"] == "message_stop":
            self.stopped = True
            final = usage(self.native_usage, "".join(self.thinking), self.encoding)
            return [oa.chunk(id=self.id, created=self.created, model=self.model, choices=[], include_usage=True,
                             usage=final)]
        if event["type"] == "error":
            error = event["error"]
            raise provider_error(self.provider, f"{error.get('type')}: {error.get('message')}")
        return []  # ping, content_block_stop

    def _start(self, index: int, block: wire.ContentBlock) -> list[oa.ChatCompletionChunk]:
        if block["type"] != "tool_use":
            return []
        if block["name"] == self.output_tool:
            self.outputs.add(index)
            return []
        self.calls[index] = call = len(self.calls)
        header = oa.tool_call_delta(call, "", id=block["id"], name=block["name"])
        return [self._chunk({"tool_calls": [header]})]

    def _delta(self, index: int, delta: wire.Delta) -> list[oa.ChatCompletionChunk]:
        if delta["type"] == "text_delta" and delta["text"]:
            return [self._chunk({"content": delta["text"]})]
        if delta["type"] == "thinking_delta" and delta["thinking"]:
            self.thinking.append(delta["thinking"])
            return [self._chunk({"reasoning": delta["thinking"]})]
        if delta["type"] == "input_json_delta" and delta["partial_json"]:
            if index in self.outputs:
                return [self._chunk({"content": delta["partial_json"]})]
            if index in self.calls:
                return [self._chunk({"tool_calls": [oa.tool_call_delta(self.calls[index], delta["partial_json"])]})]
        return []  # signature_delta, empty fragments


def tool_arguments(block: Mapping[str, Any]) -> str:
    """A tool_use block's input as OpenAI's `arguments`: compact JSON text."""
    return compact(block.get("input") or {})
