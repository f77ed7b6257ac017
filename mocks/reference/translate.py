"""The gateway's own touches on every answer, whatever the provider, and their defects."""

# The requested model ID, one stable chunk `id`/`created` per stream, usage only when asked for (and the
# defects that break these). The translation to and from each provider's wire format is in `providers/`;
# `upstream_request` (OpenAI's) is re-exported here for existing callers.

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

from aigw_conformance.mocks.reference.catalogue import ModelEntry
from aigw_conformance.mocks.reference.defects import ALL_DEFECTS, checked
from aigw_conformance.mocks.reference.identity import created_now, interaction_id
from aigw_conformance.mocks.reference.path_defects import reported_model
from aigw_conformance.mocks.reference.providers.openai import upstream_request
from aigw_conformance.mocks.reference.settings import GatewaySettings

__all__ = ["ChunkRewriter", "rewrite_completion", "upstream_request", "wants_usage"]

LEAKED_FINISH_REASON = "end_turn"  # Anthropic's name, for the finish-reason-invalid defect
# The defects of the usage and finish-reason helpers, and with the message ones those of `rewrite_completion`:
# with none of them on, the helpers (which would change nothing) are not called.
USAGE_FINISH_DEFECTS = checked({"usage-total-off-by-one", "reasoning-tokens-missing", "length-reported-as-stop",
                                "finish-reason-invalid"}, ALL_DEFECTS, "defect")
COMPLETION_DEFECTS = USAGE_FINISH_DEFECTS | checked({"json-schema-output-fenced", "reasoning-text-dropped",
                                                     "tool-call-arguments-object"}, ALL_DEFECTS, "defect")


def wants_usage(body: dict[str, Any]) -> bool:
    options = body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def _usage_defect(usage: Any, settings: GatewaySettings) -> None:
    if settings.has("usage-total-off-by-one") and isinstance(usage, dict):
        prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
        if isinstance(prompt, int) and isinstance(completion, int):
            usage["total_tokens"] = prompt + completion + 1


def _usage_details_defect(usage: Any, settings: GatewaySettings) -> None:
    if settings.has("reasoning-tokens-missing") and isinstance(usage, dict):
        for key in [key for key in usage if key not in ("prompt_tokens", "completion_tokens", "total_tokens")]:
            del usage[key]


def _finish_defect(choices: Any, settings: GatewaySettings, *, last_only: bool) -> None:
    if settings.has("length-reported-as-stop") and isinstance(choices, list):
        for choice in choices:
            if isinstance(choice, dict) and choice.get("finish_reason") == "length":
                choice["finish_reason"] = "stop"
    if not settings.has("finish-reason-invalid") or not isinstance(choices, list):
        return
    for choice in choices[-1:] if last_only else choices:
        if isinstance(choice, dict) and choice.get("finish_reason") is not None:
            choice["finish_reason"] = LEAKED_FINISH_REASON


def _message_defects(choices: Any, settings: GatewaySettings, response_format: Any) -> None:
    """tool-call-arguments-object (arguments parsed and never re-serialised), json-schema-output-fenced and
    reasoning-text-dropped."""
    fenced = settings.has("json-schema-output-fenced") and isinstance(response_format, dict) \
        and response_format.get("type") == "json_schema"
    for choice in choices if isinstance(choices, list) else []:
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict):
            continue
        if settings.has("reasoning-text-dropped"):
            message.pop("reasoning", None)
        if fenced and isinstance(message.get("content"), str):
            message["content"] = f"```json\n{message['content']}\n```"
        calls = message.get("tool_calls") if settings.has("tool-call-arguments-object") else None
        for call in calls if isinstance(calls, list) else []:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict) and isinstance(function.get("arguments"), str):
                with contextlib.suppress(ValueError):
                    function["arguments"] = json.loads(function["arguments"])


def _upstream_identity(chunk: dict[str, Any], fresh_id: str, now: int) -> tuple[str, int]:
    """The upstream's `id` and `created` (the upstream-id-passed-through defect), the gateway's where it has none."""
    upstream_id, upstream_created = chunk.get("id"), chunk.get("created")
    return (upstream_id if isinstance(upstream_id, str) and upstream_id else fresh_id,
            upstream_created if isinstance(upstream_created, int) else now)


def rewrite_completion(
    completion: dict[str, Any], model_id: str, settings: GatewaySettings, *, response_format: Any = None
) -> dict[str, Any]:
    """A non-streaming upstream completion as the gateway returns it: the gateway's own `id` and `created`
    (identity.py), under the requested model ID."""
    if not settings.has("upstream-id-passed-through"):
        completion["id"], completion["created"] = interaction_id(), created_now()
    completion["model"] = reported_model(model_id, settings)
    if settings.defects.isdisjoint(COMPLETION_DEFECTS):
        return completion
    _message_defects(completion.get("choices"), settings, response_format)
    _usage_defect(completion.get("usage"), settings)
    _usage_details_defect(completion.get("usage"), settings)
    _finish_defect(completion.get("choices"), settings, last_only=True)
    return completion


class ChunkRewriter:
    """Rewrites each upstream chunk: one stable `id` and `created` per stream, the requested model ID,
    and usage only when the client asked for it. The switched-on defects are looked up once per stream."""

    def __init__(self, model_id: str, entry: ModelEntry, settings: GatewaySettings, *, usage: bool) -> None:
        self.model_id, self.entry, self.settings = model_id, entry, settings
        self.usage = usage or settings.has("usage-chunk-unasked")
        on = settings.has
        self.unstable_id, self.drift, self.wrong_object = \
            on("unstable-chunk-id"), on("created-drift"), on("wrong-chunk-object")
        self.renamed = on("chunk-model-upstream-name")
        self.passed_through = on("upstream-id-passed-through")
        self.reported = reported_model(model_id, settings)
        self.reasoning_in_content, self.no_role = on("stream-reasoning-in-content"), on("no-role-delta")
        self.usage_finish = not settings.defects.isdisjoint(USAGE_FINISH_DEFECTS)
        self.repeat, self.nulls = on("tool-call-delta-repeats-name"), on("tool-call-delta-nulls")
        self.id: str | None = None
        self.created: int | None = None
        self.count = 0
        self.calls: dict[tuple[Any, Any], dict[str, Any]] = {}  # (choice, tool call) index → its first delta

    def rewrite(self, chunk: dict[str, Any]) -> dict[str, Any] | None:
        """The chunk to send on, or None to drop it (a usage-only chunk nobody asked for)."""
        if not self.usage:
            if "usage" in chunk and not chunk.get("choices"):
                return None
            chunk.pop("usage", None)
        if self.id is None:  # the gateway's own, as for whole answers (identity.py)
            self.id, self.created = interaction_id(), created_now()
            if self.passed_through:
                self.id, self.created = _upstream_identity(chunk, self.id, self.created)
        assert self.created is not None
        chunk["id"] = f"chatcmpl-{uuid.uuid4().hex}" if self.unstable_id else self.id
        chunk["created"] = self.created + (self.count if self.drift else 0)
        chunk["object"] = "chat.completion" if self.wrong_object else "chat.completion.chunk"
        renamed_late = self.renamed and self.count > 0
        chunk["model"] = self.entry.snapshot if renamed_late else self.reported
        choices = chunk.get("choices")
        if self.reasoning_in_content and isinstance(choices, list):
            for choice in choices:
                delta = choice.get("delta") if isinstance(choice, dict) else None
                if isinstance(delta, dict) and isinstance(delta.get("reasoning"), str):
                    delta["content"] = delta.pop("reasoning")
        if self.no_role and isinstance(choices, list):
            for choice in choices:
                if isinstance(choice, dict) and isinstance(choice.get("delta"), dict):
                    choice["delta"].pop("role", None)
        if self.usage_finish:
            _usage_defect(chunk.get("usage"), self.settings)
            _usage_details_defect(chunk.get("usage"), self.settings)
            _finish_defect(choices, self.settings, last_only=False)
        if self.repeat or self.nulls:
            self._tool_call_defects(choices)
        self.count += 1
        return chunk

    def _tool_call_defects(self, choices: Any) -> None:
        """tool-call-delta-repeats-name copies each call's id, type and name into its later deltas;
        tool-call-delta-nulls gives the later deltas explicit nulls for them instead."""
        repeat, nulls = self.repeat, self.nulls
        if not (repeat or nulls) or not isinstance(choices, list):
            return
        for choice in choices:
            delta = choice.get("delta") if isinstance(choice, dict) else None
            for call in (delta.get("tool_calls") or []) if isinstance(delta, dict) else []:
                if not isinstance(call, dict) or not isinstance(call.get("function"), dict):
                    continue
                key = (choice.get("index"), call.get("index"))
                first = self.calls.setdefault(key, call if call.get("id") else {})
                if first is call:
                    continue
                function = call["function"]
                if repeat and first:
                    call.update(id=first["id"], type=first.get("type"))
                    function["name"] = first["function"].get("name")
                elif nulls:
                    call.update(id=None, type=None)
                    function["name"] = None
