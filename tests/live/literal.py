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
from literal_shapes import (
    AI,
    CLIENT,
    DROPPED_HEADERS,
    catalogue,
    client_events,
    gateway_request_id,
    minimal_error,
    one_choice,
)
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
        self.requests: list[str] = []  # "METHOD /path" of every request received, in order

    async def forward(self, request: Request) -> Response:
        path = bytes(request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
        query = request.scope.get("query_string", b"").decode("latin-1")
        url = self.upstream + path + (f"?{query}" if query else "")
        self.requests.append(f"{request.method} {request.url.path}")
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
        self.app: LiteralApp | None = None

    @property
    def root(self) -> str:
        assert self.server is not None
        return self.server.base_url

    @property
    def requests(self) -> list[str]:
        """"METHOD /path" of every request the literal gateway received."""
        assert self.app is not None
        return self.app.requests

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
            self.app = LiteralApp(self.stack.gateway_url, providers, drop_error_headers=self.drop_error_headers)
            self.server = ServerThread(self.app.starlette(), name="literal-gateway")
            self.server.start()
        except BaseException:
            self.stack.stop()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self.server is not None:
            self.server.stop()
        self.stack.stop()
