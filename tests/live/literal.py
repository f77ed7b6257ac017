"""A gateway that answers only what the seed documents literally show, in front of the bundled reference."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.reference.catalogue import available
from aigw_conformance.mocks.reference.stack import ReferenceStack
from aigw_conformance.suites.selftest import reference_settings
from aigw_conformance.suites.target import load_target

TARGET_FILE = Path(__file__).with_name("literal.toml")
AI, CLIENT = "/api/ai/v1", "/api/client/v1"
DROPPED_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "date", "server", "host",
                             "content-encoding", "keep-alive"})
# 002, "Guardrail Blocking": {"error": {"message": "Content blocked by guardrail", "type": "guardrail_block",
# "guardrail_key": "pii-checker", "action": "block", "findings": [...]}} is the one error body the documents show
# (000 and 001 show none: only 001's "All error responses include the following custom headers"). So every error
# body is `error.message` and `error.type`, and the guardrail's three fields; no `param`, `code` or `request_id`.
GUARDRAIL_FIELDS = ("guardrail_key", "action", "findings")
# 001: "The response includes all active models with their provider, capabilities, and token limits."; "Each
# model’s owned_by field still identifies the original maintainer"; "Token Limits ... max_input_tokens ...
# max_completion_tokens ... max_total_tokens". Plus the `id` ("Model ID to use for inference (see Models)", 000).
MODEL_FIELDS = ("id", "owned_by", "provider", "capabilities", "max_input_tokens", "max_completion_tokens",
                "max_total_tokens")
# 000: "n integer No Number of completions to generate (1-128, default: 1). Some providers may restrict this
# value." These providers restrict it to one (000's table: "n Number of completions (1-128) Yes Yes No", Gemini No).
ONE_CHOICE_PROVIDERS = frozenset({"gemini", "claude"})


def minimal_error(body: Any) -> Any:
    """The error body cut to the fields 002's guardrail example shows (see GUARDRAIL_FIELDS)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return body
    kept = {key: error[key] for key in ("message", "type") if key in error}
    if error.get("type") == "guardrail_block":
        kept.update({key: error[key] for key in GUARDRAIL_FIELDS if key in error})
    return {"error": kept}


def catalogue(body: Any) -> Any:
    """GET /models without `object` or `created` (001 shows neither; see MODEL_FIELDS)."""
    models = body.get("data") if isinstance(body, dict) else None
    if not isinstance(models, list):
        return body
    return {"data": [{key: model[key] for key in MODEL_FIELDS if key in model} for model in models
                     if isinstance(model, dict)]}


def one_choice(body: Any, providers: dict[str, str]) -> Any:
    """A valid `n` dropped for a provider that restricts it: one choice (an invalid `n` still reaches validation)."""
    if not isinstance(body, dict) or providers.get(str(body.get("model"))) not in ONE_CHOICE_PROVIDERS:
        return body
    n = body.get("n")
    if isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 128:
        return {key: value for key, value in body.items() if key != "n"}
    return body


def without_finish_reason(event: bytes) -> bytes:
    """One client SSE event with no `finish_reason`: 002's "Response (Streaming)" chunks are
    `{"id":"chatcmpl-abc","object":"chat.completion.chunk","choices":[{"delta":{"content":"The"},"index":0}]}`."""
    lines = []
    for line in event.split(b"\n"):
        if line.startswith(b"data:") and line[5:].strip() != b"[DONE]":
            with contextlib.suppress(ValueError):
                chunk = json.loads(line[5:])
                choices = chunk.get("choices") if isinstance(chunk, dict) else None
                for choice in choices if isinstance(choices, list) else []:
                    if isinstance(choice, dict):
                        choice.pop("finish_reason", None)
                line = b"data: " + json.dumps(chunk, ensure_ascii=False).encode()
        lines.append(line)
    return b"\n".join(lines)


async def client_events(source: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    buffer = b""
    async for piece in source:
        buffer += piece.replace(b"\r\n", b"\n")
        *events, buffer = buffer.split(b"\n\n")
        for event in events:
            yield without_finish_reason(event) + b"\n\n"
    if buffer:
        yield without_finish_reason(buffer)


def gateway_request_id() -> str:
    """002's example: the request sends "request_id": "optional-correlation-id", the answer has "request_id":
    "req_abc123" (and the stream "X-Request-Id: req_abc123"): an ID the gateway made, whatever the client sent."""
    return "req_" + uuid.uuid4().hex[:12]


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None


class LiteralApp:
    """Forwards every request to the reference's root `upstream` and reshapes the answer (the functions above);
    `drop_error_headers` is a real defect (001: "All error responses include the following custom headers")."""

    def __init__(self, upstream: str, providers: dict[str, str], *, drop_error_headers: bool = False) -> None:
        self.upstream, self.providers, self.drop_error_headers = upstream, providers, drop_error_headers
        self.client = httpx.AsyncClient(timeout=120, trust_env=False)

    async def forward(self, request: Request) -> Response:
        path = bytes(request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
        query = request.scope.get("query_string", b"").decode("latin-1")
        url = self.upstream + path + (f"?{query}" if query else "")
        headers = [(name, value) for name, value in request.headers.raw if name.decode().lower() not in DROPPED_HEADERS]
        if request.method == "GET" and path.startswith(AI + "/models/"):
            # No GET /models/{id}: 001 shows only `curl -X GET 'https://apis.threatwinds.com/api/ai/v1/models'`.
            # The list is asked first, so a credential it refuses is refused here the same way.
            url, listed = self.upstream + AI + "/models", True
        else:
            listed = False
        content = await request.body()
        if request.method == "POST" and path == AI + "/chat/completions":
            body = _json(content)
            if (reshaped := one_choice(body, self.providers)) is not body:
                content = json.dumps(reshaped).encode()
        reply = await self.client.send(self.client.build_request(request.method, url, headers=headers,
                                                                 content=content), stream=True)
        kept = {name: value for name, value in reply.headers.items() if name not in DROPPED_HEADERS}
        on_client = path.startswith(CLIENT)
        if reply.headers.get("content-type", "").startswith("text/event-stream"):
            source: AsyncIterator[bytes] = reply.aiter_raw()
            if on_client:
                kept["x-request-id"] = gateway_request_id()
                source = client_events(source)
            return StreamingResponse(source, reply.status_code, headers=kept, background=BackgroundTask(reply.aclose))
        raw = await reply.aread()
        await reply.aclose()
        if listed and reply.status_code < 400:
            return self.error(404, f"no route for GET {path}", "not_found_error")
        return self.reshaped(path, reply.status_code, raw, kept, on_client)

    def reshaped(self, path: str, status: int, raw: bytes, headers: dict[str, str], on_client: bool) -> Response:
        body = _json(raw) if headers.get("content-type", "").startswith("application/json") else None
        if body is None:
            return Response(raw, status, headers=headers)
        if on_client:
            headers.pop("x-request-id", None)  # 002 shows X-Request-Id under "Response (Streaming)" only
        if status >= 400:
            body = minimal_error(body)
            if self.drop_error_headers:
                headers.pop("x-error", None)
                headers.pop("x-error-id", None)
        elif path == AI + "/models":
            body = catalogue(body)
        elif on_client and path == CLIENT + "/chat/completions" and isinstance(body, dict):
            body["request_id"] = gateway_request_id()
        return Response(json.dumps(body, ensure_ascii=False), status, headers=headers)

    def error(self, status: int, message: str, kind: str) -> Response:
        headers = {} if self.drop_error_headers else {"x-error": message, "x-error-id": "err_" + uuid.uuid4().hex}
        return Response(json.dumps({"error": {"message": message, "type": kind}}), status, headers=headers,
                        media_type="application/json")

    def starlette(self) -> Starlette:
        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            yield
            await self.client.aclose()

        methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
        return Starlette(routes=[Route("/{path:path}", self.forward, methods=methods)], lifespan=lifespan)


class LiteralGateway:
    """The reference (set up as TARGET_FILE's [client] and [auth] say) and the literal gateway, on 127.0.0.1."""

    def __init__(self, *, drop_error_headers: bool = False) -> None:
        self.stack = ReferenceStack(**reference_settings(load_target(TARGET_FILE)))
        self.drop_error_headers = drop_error_headers
        self.server: ServerThread | None = None

    @property
    def root(self) -> str:
        assert self.server is not None
        return self.server.base_url

    @property
    def base_url(self) -> str:
        return self.root + AI

    @property
    def client_base_url(self) -> str:
        return self.root + CLIENT

    def __enter__(self) -> LiteralGateway:
        self.stack.start()
        try:
            providers = {entry.id: entry.provider for entry in available(self.stack.settings.upstreams)}
            app = LiteralApp(self.stack.gateway_url, providers, drop_error_headers=self.drop_error_headers)
            self.server = ServerThread(app.starlette(), name="literal-gateway")
            self.server.start()
        except BaseException:
            self.stack.stop()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self.server is not None:
            self.server.stop()
        self.stack.stop()
