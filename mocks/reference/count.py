"""POST /chat/count: the prompt tokens a chat request's messages would use, without running inference."""

# 001: "Token counting is supported for OpenAI, Gemini, and ThreatWinds chat models. Claude models are not
# supported on this endpoint". OpenAI wire-format models (OpenAI, threatwinds) are counted here with OpenAI's
# documented accounting (`mocks.core.tokens.count_message_tokens`, which is what an OpenAI upstream reports as
# `prompt_tokens`); Gemini models by Gemini's own countTokens; Claude models get a 400 naming the alternative.

from __future__ import annotations

import functools
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from aigw_conformance.mocks.core.tokens import count_message_tokens
from aigw_conformance.mocks.reference.auth import authenticate
from aigw_conformance.mocks.reference.catalogue import WIRE_FORMATS, ModelEntry, find
from aigw_conformance.mocks.reference.errors import GatewayError, provider_error
from aigw_conformance.mocks.reference.providers.gemini import count_call, upstream_status
from aigw_conformance.mocks.reference.state import GatewayState
from aigw_conformance.mocks.reference.validation import read_json, schema_error
from aigw_conformance.spec.loader import request_body_schema, validator_for_schema

COUNT_PATH = "/api/ai/v1/chat/count"
CLAUDE_REFUSAL = ("token counting is not supported for Claude models (001); read usage.prompt_tokens from "
                  "/chat/completions responses instead")


@functools.cache
def _count_validator() -> Draft202012Validator:
    return validator_for_schema(request_body_schema(COUNT_PATH, "post"))


def _entry(body: dict[str, Any], state: GatewayState) -> ModelEntry:
    settings = state.settings
    entry = find(body["model"], settings.upstreams)
    if entry is None:
        raise GatewayError(404, f"model {body['model']!r} not found", code="model_not_found", param="model")
    if entry.endpoint != "chat":
        raise GatewayError(400, f"model {entry.id!r} is not a chat model; /chat/count counts chat models only",
                           code="unsupported_model", param="model")
    if entry.provider == "claude" and not settings.has("xlate-count-claude-accepted"):
        raise GatewayError(400, CLAUDE_REFUSAL, code="unsupported_model", param="model")
    return entry


class CountEndpoint:
    def __init__(self, state: GatewayState) -> None:
        self.state = state

    async def __call__(self, request: Request) -> Response:
        settings = self.state.settings
        authenticate(request.headers, settings)
        body = await read_json(request, settings)
        problem = schema_error(_count_validator().iter_errors(body))
        if problem is not None:
            raise problem
        if not isinstance(body, dict):
            raise GatewayError(400, "request body must be a JSON object", code="invalid_parameter")
        entry = _entry(body, self.state)
        if WIRE_FORMATS.get(entry.provider) == "gemini":
            tokens = await self._gemini(request, body["messages"], entry)
        else:
            tokens = count_message_tokens(body["messages"], entry.encoding)
        if settings.has("count-off-by-one"):
            tokens += 1
        return JSONResponse({"model": body["model"], "prompt_tokens": tokens})

    async def _gemini(self, request: Request, messages: list[dict[str, Any]], entry: ModelEntry) -> int:
        settings = self.state.settings
        call = count_call(messages, entry, settings)
        headers = {name: value for name, value in request.headers.items() if name in settings.forward_headers}
        try:
            reply = await self.state.http().post(call.url, json=call.payload, headers={**headers, **call.headers})
            answer: Any = reply.json()
        except httpx.HTTPError as exc:
            raise provider_error(entry.provider, f"{type(exc).__name__}: {exc}") from None
        except ValueError:
            raise provider_error(entry.provider, "countTokens answer is not JSON", reply.status_code) from None
        if reply.status_code != 200:
            error = answer.get("error") if isinstance(answer, dict) else None
            message = error.get("message") if isinstance(error, dict) else str(answer)[:300]
            raise provider_error(entry.provider, str(message), upstream_status(reply.status_code, answer))
        total = answer.get("totalTokens") if isinstance(answer, dict) else None
        if not isinstance(total, int):
            raise provider_error(entry.provider, "countTokens answer has no totalTokens")
        return total
