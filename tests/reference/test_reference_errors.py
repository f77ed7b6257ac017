"""The error contract on every kind of failure: JSON envelope, `x-error` and a unique `x-error-id`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.reference import GatewaySettings, ReferenceStack, create_app

ErrorCheck = Callable[..., dict[str, Any]]


@pytest.mark.parametrize(
    "method, url, status",
    [("GET", "/nope", 404), ("GET", "/api/ai/v1/nope", 404), ("POST", "/api/ai/v1/completions", 404),
     ("GET", "/api/ai/v1/chat/completions", 405), ("DELETE", "/api/ai/v1/models", 405),
     ("POST", "/api/ai/v1/models/gpt-5", 405)],
)
def test_routing_errors_follow_the_contract(
    stack: ReferenceStack, client: httpx.Client, check_error: ErrorCheck, method: str, url: str, status: int
) -> None:
    reply = client.request(method, stack.gateway_url + url)
    check_error(reply, status)
    if status == 405:
        assert reply.headers["allow"]


def test_error_ids_are_unique_and_x_error_is_the_message(
    client: httpx.Client, check_error: ErrorCheck
) -> None:
    replies = [client.get("/models/nope") for _ in range(3)]
    assert len({reply.headers["x-error-id"] for reply in replies}) == 3
    for reply in replies:
        assert reply.headers["x-error"] == check_error(reply, 404)["message"]


def test_x_error_is_a_single_header_safe_line(client: httpx.Client, check_error: ErrorCheck) -> None:
    reply = client.get("/models/caf\u00e9\u2603")
    check_error(reply, 404)
    header = reply.headers["x-error"]
    assert header.isascii() and header.isprintable() and "caf\\xe9\\u2603" in header


@pytest.fixture(scope="module")
def small_gateway() -> Iterator[str]:
    settings = GatewaySettings(max_body_bytes=1024, upstreams={"openai": "http://127.0.0.1:9/v1"})
    with ServerThread(create_app(settings)) as server:
        yield server.base_url + "/api/ai/v1"


def test_oversized_body_is_413(small_gateway: str, check_error: ErrorCheck) -> None:
    body = {"model": "gpt-5", "messages": [{"role": "user", "content": "x" * 2000}]}
    reply = httpx.post(small_gateway + "/chat/completions", json=body, trust_env=False,
                       headers={"authorization": "Bearer dev-token"})
    check_error(reply, 413, code="request_too_large")


def test_unexpected_exception_is_a_clean_500(
    monkeypatch: pytest.MonkeyPatch, check_error: ErrorCheck
) -> None:
    def explode(*args: Any) -> Any:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr("aigw_conformance.mocks.reference.chat.upstream_request", explode)
    app = create_app(GatewaySettings(upstreams={"openai": "http://127.0.0.1:9/v1"}))
    body = {"model": "gpt-5", "messages": [{"role": "user", "content": "hi"}]}
    with TestClient(app, raise_server_exceptions=False) as test_client:
        reply = test_client.post("/api/ai/v1/chat/completions", json=body,
                                 headers={"authorization": "Bearer dev-token"})
    error = check_error(httpx.Response(reply.status_code, headers=reply.headers, content=reply.content), 500)
    assert "secret internal detail" not in reply.text and error["code"] == "internal_error"
