"""`mocks.reference.fastchat.ChatApp` answers exactly what the Starlette route it replaces answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from aigw_conformance.mocks.reference import GatewaySettings, create_app
from aigw_conformance.mocks.reference.fastchat import ChatApp
from aigw_conformance.mocks.reference.hotpaths import HotPaths
from aigw_conformance.mocks.reference.providers.openai import OpenAIAdapter
from aigw_conformance.mocks.reference.stack import ReferenceStack

CHAT = "/api/ai/v1/chat/completions"
OK = {"model": "gpt-5-mini", "messages": [{"role": "user", "content": "What is XDR?"}], "max_completion_tokens": 32}
AUTH = {"authorization": "Bearer dev-token"}
JSON = {**AUTH, "content-type": "application/json"}
# (headers, body, defects, extra settings): every way out of the handler, each answered by both apps
CASES: list[tuple[dict[str, str], bytes, tuple[str, ...], dict[str, Any]]] = [
    (JSON, json.dumps(OK).encode(), (), {}),
    (JSON, json.dumps({**OK, "stream": True}).encode(), (), {}),
    ({"content-type": "application/json"}, json.dumps(OK).encode(), (), {}),
    ({**JSON, "authorization": "Basic abc"}, json.dumps(OK).encode(), (), {}),
    ({**JSON, "authorization": "Bearer dev-token-no-ai"}, json.dumps(OK).encode(), (), {}),
    ({**JSON, "authorization": "Bearer dev-token-mini"}, json.dumps({**OK, "model": "gpt-5"}).encode(), (), {}),
    ({**AUTH, "content-type": "text/plain"}, json.dumps(OK).encode(), (), {}),
    (JSON, b"", (), {}),
    (JSON, b"{not json", (), {}),
    (JSON, b'{"model": NaN}', (), {}),
    (JSON, json.dumps(OK).encode(), (), {"max_body_bytes": 10}),
    (JSON, json.dumps({**OK, "temperature": 5}).encode(), (), {}),
    (JSON, json.dumps({**OK, "model": "nope"}).encode(), (), {}),
    (JSON, json.dumps({**OK, "max_completion_tokens": 10**9}).encode(), (), {}),
    ({**JSON, "x-mock-status": "503"}, json.dumps(OK).encode(), (), {}),
    ({**JSON, "x-mock-status": "400"}, json.dumps(OK).encode(), (), {}),
    ({**JSON, "x-mock-delay-ms": "1500"}, json.dumps(OK).encode(), (), {"upstream_timeout_s": 0.3}),
    ({**JSON, "x-mock-status": "503"}, json.dumps(OK).encode(), ("error-envelope-flat", "no-x-error"), {}),
    (JSON, json.dumps({**OK, "model": "nope"}).encode(), ("plain-text-errors", "error-status-200"), {}),
    (JSON, json.dumps({**OK, "temperature": 5}).encode(), ("temperature-unchecked", "usage-total-off-by-one"), {}),
    ({"content-type": "application/json"}, json.dumps(OK).encode(), ("no-x-error-id",), {}),
]


@pytest.fixture(scope="module")
def upstreams() -> Iterator[dict[str, str]]:
    with ReferenceStack() as stack:
        yield dict(stack.settings.upstreams)


def apps(settings: GatewaySettings) -> tuple[Starlette, Starlette]:
    """The gateway as built (chat on `ChatApp`) and the same with Starlette's routing only."""
    hot, routed = create_app(settings), create_app(settings)
    table = routed.router.middleware_stack
    assert isinstance(table, HotPaths) and isinstance(table.hot["POST", CHAT][1], ChatApp)
    routed.router.middleware_stack = table.routed
    return hot, routed


def answer(app: Starlette, headers: dict[str, str], body: bytes) -> tuple[int, list[tuple[str, str]], Any]:
    with TestClient(app, raise_server_exceptions=False) as client:
        reply = client.post(CHAT, content=body, headers=headers)
    kept = [(name, value) for name, value in reply.headers.multi_items() if name != "x-error-id"]
    if reply.status_code == 200 and reply.headers.get("content-type", "").startswith("application/json"):
        completion = reply.json()
        return reply.status_code, kept, (sorted(completion), completion.get("model"))
    if reply.headers.get("content-type", "").startswith("text/event-stream"):
        return reply.status_code, kept, [line[:12] for line in reply.text.splitlines()]
    return reply.status_code, kept, reply.content


@pytest.mark.parametrize("headers, body, defects, extra", CASES)
def test_chat_app_answers_as_the_route_does(upstreams: dict[str, str], headers: dict[str, str], body: bytes,
                                            defects: tuple[str, ...], extra: dict[str, Any]) -> None:
    settings = GatewaySettings(upstreams=upstreams, defects=frozenset(defects),
                               forward_headers=frozenset({"x-mock-status", "x-mock-delay-ms"}), **extra)
    hot, routed = apps(settings)
    mine, theirs = answer(hot, headers, body), answer(routed, headers, body)
    assert mine == theirs


def test_an_unexpected_exception_is_the_same_500(upstreams: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: OpenAIAdapter, native: Any) -> dict[str, Any]:
        raise RuntimeError("boom")

    monkeypatch.setattr(OpenAIAdapter, "completion", broken)
    hot, routed = apps(GatewaySettings(upstreams=upstreams))
    mine, theirs = answer(hot, JSON, json.dumps(OK).encode()), answer(routed, JSON, json.dumps(OK).encode())
    assert mine == theirs and mine[0] == 500 and b"internal server error (RuntimeError)" in mine[2]


def test_a_client_without_the_lean_upstream_client_goes_the_httpx_way(upstreams: dict[str, str]) -> None:
    app = create_app(GatewaySettings(upstreams=upstreams))
    with TestClient(app) as client:
        lean, plain = app.state.gateway.client, httpx.AsyncClient(trust_env=False, timeout=5)
        app.state.gateway.client = plain
        reply = client.post(CHAT, json=OK, headers=AUTH)
        assert client.portal is not None
        client.portal.call(plain.aclose)
        app.state.gateway.client = lean
    assert reply.status_code == 200 and reply.json()["model"] == "gpt-5-mini"
