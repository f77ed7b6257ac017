"""Upstream failures: a provider that is down, slow, refusing or cut off mid-stream."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI

from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.reference import GatewaySettings, ReferenceStack, create_app
from aigw_conformance.suites import sse

ErrorCheck = Callable[..., dict[str, Any]]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def orphan() -> Iterator[str]:
    """A gateway whose providers are all unreachable."""
    dead = f"http://127.0.0.1:{closed_port()}/v1"
    settings = GatewaySettings(upstreams={"openai": dead, "threatwinds": dead}, upstream_timeout_s=2)
    with ServerThread(create_app(settings)) as server:
        yield server.base_url + "/api/ai/v1"


@pytest.mark.parametrize("stream", [False, True])
def test_upstream_down_is_500_provider_error(
    orphan: str, check_error: ErrorCheck, chat_request: dict[str, Any], stream: bool
) -> None:
    reply = httpx.post(orphan + "/chat/completions", json={**chat_request, "stream": stream},
                       headers={"authorization": "Bearer dev-token"}, trust_env=False)
    error = check_error(reply, 500, code="provider_error")
    assert error["message"].startswith("provider error: openai")


def test_sdk_sees_an_internal_server_error(orphan: str) -> None:
    with OpenAI(base_url=orphan, api_key="dev-token", max_retries=0) as sdk, \
            pytest.raises(openai.InternalServerError):
        sdk.chat.completions.create(model="gpt-5", messages=[{"role": "user", "content": "hi"}])


@pytest.mark.parametrize("upstream, gateway", [(503, 500), (502, 500), (429, 500), (401, 500), (400, 400)])
def test_upstream_statuses_map_to_documented_ones(
    client: httpx.Client, check_error: ErrorCheck, chat_request: dict[str, Any], upstream: int, gateway: int
) -> None:
    for stream in (False, True):
        reply = client.post("/chat/completions", json={**chat_request, "stream": stream},
                            headers={"x-mock-status": str(upstream)})
        check_error(reply, gateway)


def test_slow_upstream_times_out_as_500(check_error: ErrorCheck, chat_request: dict[str, Any]) -> None:
    with ReferenceStack(upstream_timeout_s=0.3) as stack:
        reply = httpx.post(stack.base_url + "/chat/completions", json=chat_request, trust_env=False,
                           headers={"authorization": f"Bearer {stack.token}", "x-mock-delay-ms": "1000"})
    assert "Timeout" in check_error(reply, 500, code="provider_error")["message"]


def test_cut_mid_stream_ends_with_an_error_event(client: httpx.Client, chat_request: dict[str, Any]) -> None:
    reply = client.post("/chat/completions", json={**chat_request, "stream": True},
                        headers={"x-mock-disconnect-after": "3"})
    assert reply.status_code == 200
    parsed = sse.parse(reply.content)
    assert parsed.problems == []
    data = [json.loads(event.data) for event in parsed.events]
    assert len(data) == 4 and all("choices" in chunk for chunk in data[:3])
    error = data[-1]["error"]
    assert error["code"] == "provider_error" and "interrupted" in error["message"]
    assert set(error) == {"message", "type", "param", "code"}


def test_sdk_raises_on_the_error_event(sdk: OpenAI) -> None:
    stream = sdk.chat.completions.create(
        model="gpt-5", messages=[{"role": "user", "content": "hi"}], stream=True,
        extra_headers={"x-mock-disconnect-after": "2"},
    )
    with pytest.raises(openai.APIError, match="interrupted"):
        for _ in stream:
            pass


def test_headers_other_than_the_fault_ones_are_not_forwarded(
    client: httpx.Client, stack: ReferenceStack, chat_request: dict[str, Any]
) -> None:
    client.post("/chat/completions", json=chat_request, headers={"x-secret": "1", "x-mock-delay-ms": "1"})
    entries = httpx.get(stack.mock_url() + "/__mock__/journal", trust_env=False).json()["data"]
    headers = entries[-1]["headers"]
    assert "x-secret" not in headers and headers["x-mock-delay-ms"] == "1"
