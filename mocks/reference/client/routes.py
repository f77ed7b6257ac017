"""POST /api/client/v1/chat/completions: token, limits, model key, guardrails, breaker, then the AI API's upstream."""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from aigw_conformance.mocks.reference.catalogue import ModelEntry
from aigw_conformance.mocks.reference.chat import ChatEndpoint
from aigw_conformance.mocks.reference.client import errors, guardrails, requestid
from aigw_conformance.mocks.reference.client.breaker import Breakers, is_failure
from aigw_conformance.mocks.reference.client.errors import ClientError
from aigw_conformance.mocks.reference.client.limits import Limits
from aigw_conformance.mocks.reference.client.stream import GuardedStream
from aigw_conformance.mocks.reference.client.validation import check_request, resolve_model
from aigw_conformance.mocks.reference.errors import GatewayError
from aigw_conformance.mocks.reference.state import GatewayState
from aigw_conformance.mocks.reference.translate import upstream_request, wants_usage
from aigw_conformance.mocks.reference.validation import read_json

log = logging.getLogger(__name__)
RETRY_STORM_ATTEMPTS = 20  # the resilience-retry-unbounded defect's attempts per request (bounded, so a run ends)


class ClientChatEndpoint:
    """The handler; per-app limits and breakers, the AI API's ChatEndpoint for the upstream call."""

    def __init__(self, state: GatewayState) -> None:
        unknown = state.settings.client_pii_detectors - guardrails.DETECTORS.keys()
        if unknown:
            raise ValueError(f"unknown PII detectors {sorted(unknown)}; known: {', '.join(guardrails.DETECTORS)}")
        self.state, self.settings = state, state.settings
        self.chat = ChatEndpoint(state)
        self.limits = Limits(state.settings)
        self.breakers = Breakers(state.settings)

    async def post(self, request: Request) -> Response:
        try:  # the token first: an unauthenticated body is never read (its request_id cannot be echoed)
            token = self._authenticate(request.headers)
        except ClientError as exc:
            request_id = requestid.resolve(None, request.headers, self.settings)
            return requestid.stamp(errors.error_response(exc, request_id), request_id, self.settings)
        try:
            body, problem = await read_json(request, self.settings), None
        except GatewayError as exc:
            body, problem = None, exc
        except ClientDisconnect:  # gone (or cut off by the server's body timeout): the answer goes nowhere
            return Response(status_code=400)
        except Exception:
            log.exception("unhandled error reading %s %s", request.method, request.url.path)
            body, problem = None, GatewayError(500, "internal server error")
        request_id = requestid.resolve(body, request.headers, self.settings)
        try:
            response = await self._handle(request, token, body, problem, request_id)
        except ClientError as exc:
            response = errors.error_response(exc, request_id)
        except GatewayError as exc:
            response = errors.error_response(errors.from_gateway(exc, self.settings), request_id)
        except Exception:
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            response = errors.error_response(errors.internal(), request_id)
        return requestid.stamp(response, request_id, self.settings)

    def _authenticate(self, headers: Headers) -> str:
        scheme, _, token = headers.get("authorization", "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise errors.unauthorized("missing_token" if not scheme else "invalid_token")
        if self.settings.has("client-any-token-accepted") and token.startswith("cgt_"):
            return token
        if not any(hmac.compare_digest(token.encode(), known.encode()) for known in self.settings.client_tokens):
            raise errors.unauthorized("invalid_token")
        return token

    async def _handle(
        self, request: Request, token: str, raw: Any, problem: GatewayError | None, request_id: str
    ) -> Response:
        self.limits.admit(token)
        if problem is not None:
            raise problem
        body = check_request(raw, self.settings)
        entry = resolve_model(body, self.settings)
        self.limits.check_quota(token)
        guardrails.check_input(body["messages"], self.settings)
        streamed = body.get("stream") is True
        scan_output = not (streamed and self.settings.has("client-stream-no-content-filter"))
        sample = guardrails.output_sample(request.headers, self.settings)
        guard = guardrails.OutputGuard(self.settings, sample, enabled=scan_output)
        self.breakers.admit(entry.provider)
        try:
            response = await self._forward(request, body, entry)
        except GatewayError as exc:
            self.breakers.record(entry.provider, failed=is_failure(exc))
            raise
        except BaseException:
            self.breakers.release(entry.provider)
            raise
        streamed_outcome = isinstance(response, StreamingResponse) and not self.settings.has(
            "resilience-stream-failures-uncounted")
        if not streamed_outcome:
            self.breakers.record(entry.provider, failed=False)
        if isinstance(response, StreamingResponse):
            stream = GuardedStream(self.settings, guard, keep_usage=wants_usage(body),
                                   on_end=lambda used: self.limits.charge(token, used))
            relayed = response.body_iterator
            if streamed_outcome:  # a failure after the first byte counts too: the outcome is known at the end
                relayed = self.breakers.watch(entry.provider, relayed)
            response.body_iterator = stream.body(relayed)
            return response
        completion: dict[str, Any] = json.loads(bytes(response.body))
        guard.filter_completion(completion)
        usage = completion.get("usage")
        self.limits.charge(token, usage.get("total_tokens", 0) if isinstance(usage, dict) else 0)
        completion["request_id"] = request_id
        return JSONResponse(completion)

    async def _forward(self, request: Request, body: dict[str, Any], entry: ModelEntry) -> Response:
        """The upstream call; the resilience-retry-unbounded defect retries a provider's 429 or failure at once."""
        attempts = RETRY_STORM_ATTEMPTS if self.settings.has("resilience-retry-unbounded") else 1
        for attempt in range(1, attempts + 1):
            try:
                return await self._forward_once(request, body, entry)
            except GatewayError as exc:
                if attempt == attempts or not (exc.upstream_status == 429 or is_failure(exc)):
                    raise
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _forward_once(self, request: Request, body: dict[str, Any], entry: ModelEntry) -> Response:
        """The AI API's upstream call (same translation, relay and error mapping); usage always asked for when
        streaming, so the quota can be charged (GuardedStream drops it unless the client asked too)."""
        if body.get("stream") is True:
            options = body.get("stream_options")
            body = {**body, "stream_options": {**(options if isinstance(options, dict) else {}),
                                               "include_usage": True}}
        upstream = self.chat._upstream_request(request, entry, upstream_request(body, entry, self.settings))
        if body.get("stream") is True:
            return await self.chat._stream(body, entry, upstream)
        return await self.chat._complete(body, entry, upstream)


def create_client_app(state: GatewayState) -> Starlette:
    """The client gateway as an ASGI app for `Mount("/api/client/v1", app=...)`; shares the AI API's state."""

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        request_id = requestid.resolve(None, request.headers, state.settings)
        where = f"{request.method} {request.url.path}"
        message = {404: f"no route for {where}", 405: f"method not allowed: {where}"}.get(exc.status_code, exc.detail)
        kind = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
        error = ClientError(exc.status_code, message, kind, headers=dict(exc.headers or {}))
        return requestid.stamp(errors.error_response(error, request_id), request_id, state.settings)

    routes = [Route("/chat/completions", ClientChatEndpoint(state).post, methods=["POST"])]
    return Starlette(routes=routes, exception_handlers={HTTPException: on_http_error})
