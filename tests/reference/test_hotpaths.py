"""`mocks.reference.hotpaths`: a hot path reaches the endpoint Starlette's routing picks, with the same scope."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from aigw_conformance.mocks.reference import GatewaySettings, create_app
from aigw_conformance.mocks.reference.hotpaths import HotPaths, install

ROUTING_KEYS = ("root_path", "app_root_path", "path_params", "endpoint", "route", "router")


def _app(seen: list[dict[str, Any]]) -> Starlette:
    async def endpoint(request: Request) -> Response:
        seen.append({key: request.scope.get(key) for key in ROUTING_KEYS})
        return JSONResponse({"path": request.url.path})

    inner = [Route("/items/{item}", endpoint), Route("/chat", endpoint, methods=["POST"])]
    return Starlette(routes=[Route("/health", endpoint), Mount("/api/v1", routes=inner)])


def test_a_hot_path_gets_the_endpoint_and_scope_routing_gives() -> None:
    routed: list[dict[str, Any]] = []
    hot: list[dict[str, Any]] = []
    plain, fast = _app(routed), _app(hot)
    table = install(fast, [("POST", "/api/v1/chat"), ("GET", "/api/v1/items/1"), ("GET", "/missing")])
    assert list(table.hot) == [("POST", "/api/v1/chat")]  # path parameters and unmatched paths are not hot
    for app, seen in ((plain, routed), (fast, hot)):
        with TestClient(app) as client:
            assert client.post("/api/v1/chat").json() == {"path": "/api/v1/chat"}
            assert client.get("/api/v1/chat").status_code == 405  # another method: routed as before
            assert client.get("/api/v1/items/7").status_code == 200
            assert client.get("/missing").status_code == 404
        assert len(seen) == 2
    for mine, theirs in zip(hot, routed, strict=True):
        assert mine.pop("router") is fast.router and theirs.pop("router") is plain.router
        assert (mine.pop("route").path, mine.pop("endpoint").__name__) == \
            (theirs.pop("route").path, theirs.pop("endpoint").__name__)
        assert mine == theirs


def test_the_gateway_routes_chat_and_embeddings_directly() -> None:
    app = create_app(GatewaySettings())
    table = app.router.middleware_stack
    assert isinstance(table, HotPaths)
    assert {key: entries["route"].path for key, (entries, _) in table.hot.items()} == {
        ("POST", "/api/ai/v1/chat/completions"): "/chat/completions", ("POST", "/api/ai/v1/embeddings"): "/embeddings"}
