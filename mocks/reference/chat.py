"""POST /chat/completions: authenticate, validate, translate, forward upstream, relay the answer."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from mocks.reference.auth import authenticate
from mocks.reference.catalogue import ModelEntry
from mocks.reference.errors import provider_error
from mocks.reference.state import GatewayState
from mocks.reference.streaming import relay
from mocks.reference.translate import ChunkRewriter, rewrite_completion, upstream_request, wants_usage
from mocks.reference.validation import check_schema, check_semantics, read_json

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


def _upstream_message(reply: httpx.Response) -> str:
    try:
        body: Any = reply.json()
    except ValueError:
        return reply.text[:300] or reply.reason_phrase
    detail = body.get("error") if isinstance(body, dict) else None
    message = detail.get("message") if isinstance(detail, dict) else detail
    return str(message or body)[:300]


def _describe(exc: httpx.HTTPError) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class ChatEndpoint:
    """The handler, bound to the gateway's settings and its shared upstream client."""

    def __init__(self, state: GatewayState) -> None:
        self.state = state

    async def __call__(self, request: Request) -> Response:
        settings = self.state.settings
        authenticate(request.headers, settings)
        body = check_schema(await read_json(request, settings), settings)
        entry = check_semantics(body, settings)
        upstream = self._upstream_request(request, entry, upstream_request(body, entry, settings))
        if body.get("stream") is True:
            return await self._stream(body, entry, upstream)
        return await self._complete(body, entry, upstream)

    def _upstream_request(
        self, request: Request, entry: ModelEntry, payload: dict[str, Any]
    ) -> httpx.Request:
        settings = self.state.settings
        url = settings.upstreams[entry.provider] + "/chat/completions"
        headers = {name: value for name, value in request.headers.items() if name in settings.forward_headers}
        headers["authorization"] = f"Bearer {settings.upstream_api_key}"
        if payload.get("stream") is True:
            headers["accept"] = "text/event-stream"
        return self.state.http().build_request("POST", url, json=payload, headers=headers)

    async def _complete(self, body: dict[str, Any], entry: ModelEntry, upstream: httpx.Request) -> Response:
        try:
            reply = await self.state.http().send(upstream)
        except httpx.HTTPError as exc:
            raise provider_error(entry.provider, _describe(exc)) from None
        if reply.status_code != 200:
            raise provider_error(entry.provider, _upstream_message(reply), reply.status_code)
        try:
            completion = reply.json()
        except ValueError:
            raise provider_error(entry.provider, "response is not JSON") from None
        if not isinstance(completion, dict) or not isinstance(completion.get("choices"), list):
            raise provider_error(entry.provider, "response is not a chat completion")
        return JSONResponse(rewrite_completion(completion, body["model"], self.state.settings))

    async def _stream(self, body: dict[str, Any], entry: ModelEntry, upstream: httpx.Request) -> Response:
        settings = self.state.settings
        try:
            reply = await self.state.http().send(upstream, stream=True)
        except httpx.HTTPError as exc:
            raise provider_error(entry.provider, _describe(exc)) from None
        if reply.status_code != 200:
            try:
                await reply.aread()
                message = _upstream_message(reply)
            except httpx.HTTPError as exc:
                message = _describe(exc)
            finally:
                await reply.aclose()
            raise provider_error(entry.provider, message, reply.status_code)
        rewriter = ChunkRewriter(body["model"], entry, settings, usage=wants_usage(body))
        json_type = settings.has("stream-as-json-content-type")
        media_type = "application/json" if json_type else "text/event-stream"
        return StreamingResponse(relay(reply, rewriter, settings, entry.provider), headers=SSE_HEADERS,
                                 media_type=media_type)

