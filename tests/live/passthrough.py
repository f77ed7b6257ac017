"""A pass-through router without a catalogue: /v1/chat/completions forwarded to a mock OpenAI, 404 elsewhere."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from types import TracebackType

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.registry import load

ROUTER_KEY = "router-key"
FORWARDED = ("authorization", "content-type")


def router_app(upstream: str) -> Starlette:
    """Forwards chat completions (bodies and statuses unchanged, no x-error headers: a thin router) to
    `upstream`; GET / and /console/... are an HTML console, everything else Starlette's plain-text 404."""
    client = httpx.AsyncClient(timeout=30, trust_env=False)

    async def chat(request: Request) -> Response:
        headers = {name: value for name, value in request.headers.items() if name in FORWARDED}
        reply = await client.post(f"{upstream}/v1/chat/completions", content=await request.body(), headers=headers)
        kept = {name: value for name, value in reply.headers.items() if name in ("content-type",)}
        return Response(reply.content, status_code=reply.status_code, headers=kept)

    async def landing(request: Request) -> Response:
        return HTMLResponse("<!doctype html><html><title>Router console</title><body>Sign in</body></html>")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"]), Route("/", landing),
                             Route("/console/{page:path}", landing)],
                     lifespan=lifespan)


class PassThroughRouter:
    """The router and its mock OpenAI provider (which takes only ROUTER_KEY) on 127.0.0.1."""

    def __init__(self) -> None:
        # An upstream that takes every parameter 000's table lists for OpenAI (`stop` on gpt-5 included) and refuses
        # unknown models with 404, as OpenAI does: these tests are about discovery and preflight. Over the real-API
        # refusals (the mock's default), a router forwarding `stop` to gpt-5 fails chat.stop, rightly: 000 lists
        # `stop` as supported for OpenAI.
        self.provider = ServerThread(load("openai").create_app(api_key=ROUTER_KEY, reasoning_limits=False,
                                                               strict_models=True),
                                     name="router-upstream")
        self.router: ServerThread | None = None

    @property
    def root(self) -> str:
        assert self.router is not None
        return self.router.base_url

    @property
    def base_url(self) -> str:
        return self.root + "/v1"

    def __enter__(self) -> PassThroughRouter:
        self.provider.start()
        self.router = ServerThread(router_app(self.provider.base_url), name="router")
        try:
            self.router.start()
        except BaseException:
            self.provider.stop()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        assert self.router is not None
        self.router.stop()
        self.provider.stop()
