"""POST /chat/completions: authenticate, validate, translate (`providers/`), forward upstream, relay the answer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from aigw_conformance.mocks.reference.audio import without_audio_parts
from aigw_conformance.mocks.reference.auth import authenticate, authorize_model
from aigw_conformance.mocks.reference.catalogue import WIRE_FORMATS, ModelEntry
from aigw_conformance.mocks.reference.errors import GatewayError, provider_error
from aigw_conformance.mocks.reference.exchange import fetch
from aigw_conformance.mocks.reference.lenient import for_wire_format, takeable
from aigw_conformance.mocks.reference.path_defects import padded_messages
from aigw_conformance.mocks.reference.providers import Adapter, OpenAIAdapter, adapter_for
from aigw_conformance.mocks.reference.state import GatewayState
from aigw_conformance.mocks.reference.streaming import CoalescedStreamingResponse, relay
from aigw_conformance.mocks.reference.translate import ChunkRewriter, rewrite_completion, upstream_request, wants_usage
from aigw_conformance.mocks.reference.transport import LeanClient, json_bytes
from aigw_conformance.mocks.reference.validation import check_schema, check_semantics, read_json

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
Completion = dict[str, Any]


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


@dataclass(frozen=True)
class Prepared:
    """An upstream request ready to send, and the adapter that built it (and reads its answer)."""

    adapter: Adapter
    request: httpx.Request


class ChatEndpoint:
    """The handler, bound to the gateway's settings and its shared upstream client."""

    def __init__(self, state: GatewayState) -> None:
        self.state = state

    async def __call__(self, request: Request) -> Response:
        answer = await self.answer(request.headers, lambda: read_json(request, self.state.settings))
        return answer if isinstance(answer, Response) else JSONResponse(answer)

    async def answer(self, headers: Headers, read: Callable[[], Awaitable[Any]]) -> Completion | Response:
        """The completion to answer with as JSON, or the response (a stream); `read` gives the body's JSON."""
        settings = self.state.settings
        authenticate(headers, settings)
        body = check_schema(padded_messages(await read(), settings), settings)
        lenient = not settings.has("provider-refusals-relayed")
        body = takeable(body) if lenient else body
        entry = check_semantics(body, settings)
        body = for_wire_format(body, WIRE_FORMATS.get(entry.provider, "openai")) if lenient else body
        if settings.has("input-audio-dropped"):
            body = without_audio_parts(body)
        authorize_model(headers, entry.id, settings)
        adapter = self._adapter(body, entry)
        if body.get("stream") is True:
            return await self._stream(body, entry, self.prepare(headers, adapter))
        url, payload, native_headers = self._native(headers, adapter)
        client = self.state.http()
        limit = settings.upstream_timeout_s
        template = client.raw_template("POST", url, native_headers, limit) if isinstance(client, LeanClient) \
            else None
        if template is None:
            prepared = Prepared(adapter, client.build_request("POST", url, json=payload, headers=native_headers))
            return await self._completion(body, entry, prepared)
        assert isinstance(client, LeanClient)
        data = template.wire(json_bytes(payload))
        try:
            answer = await fetch(client, template, data, limit)
        except TimeoutError:
            raise provider_error(entry.provider, f"Timeout: no complete answer within {limit:g}s") from None
        except httpx.HTTPError as exc:
            raise provider_error(entry.provider, _describe(exc)) from None
        if answer.status != 200:
            raise self._failure(adapter, entry, answer.response())
        return self._completed(body, entry, adapter, answer.content)

    def _native(self, headers: Headers, adapter: Adapter) -> tuple[str, dict[str, Any], dict[str, str]]:
        """The adapter's native call (URL, payload, headers), with the forwarded `x-mock-*` headers."""
        settings = self.state.settings
        call = adapter.call()
        forwarded = {name: value for name, value in headers.items() if name in settings.forward_headers}
        forwarded.update(call.headers)
        if call.payload.get("stream") is True or call.url.endswith("alt=sse"):
            forwarded["accept"] = "text/event-stream"
        return call.url, call.payload, forwarded

    def prepare(self, headers: Headers, adapter: Adapter) -> Prepared:
        """The adapter's native call, with the forwarded `x-mock-*` headers and the provider's credentials."""
        url, payload, native_headers = self._native(headers, adapter)
        return Prepared(adapter, self.state.http().build_request("POST", url, json=payload, headers=native_headers))

    def _adapter(self, body: dict[str, Any], entry: ModelEntry, payload: dict[str, Any] | None = None) -> Adapter:
        """The request's adapter; an OpenAI wire-format provider is sent `payload`, else `upstream_request`'s."""
        settings = self.state.settings
        if WIRE_FORMATS.get(entry.provider, "openai") != "openai":
            return adapter_for(body, entry, settings)
        return OpenAIAdapter(body, entry, settings, payload=payload or upstream_request(body, entry, settings))

    def _upstream_request(self, request: Request, entry: ModelEntry, payload: dict[str, Any]) -> Prepared:
        """For callers holding `translate.upstream_request`'s OpenAI-format payload (the client gateway): sent
        as is to an OpenAI wire-format provider, translated from it for the others."""
        return self.prepare(request.headers, self._adapter(payload, entry, payload))

    @staticmethod
    def _failure(adapter: Adapter, entry: ModelEntry, reply: httpx.Response) -> GatewayError:
        try:
            parsed: Any = reply.json()
        except ValueError:
            parsed = None
        status = adapter.upstream_status(reply.status_code, parsed)
        return provider_error(entry.provider, _upstream_message(reply), status, reply.headers.get("retry-after"))

    async def _complete(self, body: dict[str, Any], entry: ModelEntry, upstream: Prepared) -> Response:
        return JSONResponse(await self._completion(body, entry, upstream))

    async def _completion(self, body: dict[str, Any], entry: ModelEntry, upstream: Prepared) -> Completion:
        limit = self.state.settings.upstream_timeout_s
        try:
            async with asyncio.timeout(limit):  # the whole answer: httpx's timeout bounds each read only
                reply = await self.state.http().send(upstream.request)
        except TimeoutError:
            raise provider_error(entry.provider, f"Timeout: no complete answer within {limit:g}s") from None
        except httpx.HTTPError as exc:
            raise provider_error(entry.provider, _describe(exc)) from None
        if reply.status_code != 200:
            raise self._failure(upstream.adapter, entry, reply)
        return self._completed(body, entry, upstream.adapter, reply.content)

    def _completed(self, body: dict[str, Any], entry: ModelEntry, adapter: Adapter, content: bytes) -> Completion:
        """The upstream's 200 answer as the gateway's completion."""
        try:
            native = json.loads(content)  # what httpx's `Response.json` does
        except ValueError:
            raise provider_error(entry.provider, "response is not JSON") from None
        completion = adapter.completion(native)
        return rewrite_completion(completion, body["model"], self.state.settings,
                                  response_format=body.get("response_format"))

    async def _stream(self, body: dict[str, Any], entry: ModelEntry, upstream: Prepared) -> Response:
        settings = self.state.settings
        try:
            reply = await self.state.http().send(upstream.request, stream=True)
        except httpx.HTTPError as exc:
            raise provider_error(entry.provider, _describe(exc)) from None
        if reply.status_code != 200:
            try:
                await reply.aread()
                problem = self._failure(upstream.adapter, entry, reply)
            except httpx.HTTPError as exc:
                problem = provider_error(entry.provider, _describe(exc), reply.status_code)
            finally:
                await reply.aclose()
            raise problem
        rewriter = ChunkRewriter(body["model"], entry, settings, usage=wants_usage(body))
        json_type = settings.has("stream-as-json-content-type")
        media_type = "application/json" if json_type else "text/event-stream"
        chunks = upstream.adapter.chunks(reply.aiter_lines())
        return CoalescedStreamingResponse(relay(reply, chunks, rewriter, settings, entry.provider), reply.stream,
                                          headers=SSE_HEADERS, media_type=media_type,
                                          buffered=settings.has("stream-buffered"))
