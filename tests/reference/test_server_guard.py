"""The reference's connection limits (mocks/core/guard.py): head size and field count, read timeouts, the cap."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from rawhttp import RawReply, closed_by_server, connect, head, read_reply
from uvicorn.server import ServerState

from aigw_conformance.mocks.core.guard import protocol_class
from aigw_conformance.mocks.core.serverlimits import ServerLimits
from aigw_conformance.mocks.reference import ReferenceStack
from conftest import ERROR_ID

CHAT_PATH = "/api/ai/v1/chat/completions"
CLIENT_PATH = "/api/client/v1/chat/completions"
CHAT = {"model": "gpt-5-mini", "messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 8}


def refused(reply: RawReply | None, status: int, code: str) -> dict[str, object]:
    """`reply` is the AI API's error contract (000/001) for `status` with `code`, and closes the connection."""
    assert reply is not None, f"no {status} answer"
    assert reply.status == status, reply
    assert reply.headers["content-type"] == "application/json" and reply.headers["connection"] == "close"
    assert reply.headers.get("x-error") and ERROR_ID.match(reply.headers.get("x-error-id", ""))
    error = reply.json()["error"]
    assert error["code"] == code and error["type"] and error["message"], error
    return dict(error)


def exchange(url: str, data: bytes) -> RawReply | None:
    with connect(url) as sock:
        sock.sendall(data)
        return read_reply(sock)


@pytest.fixture(scope="module")
def stack() -> Iterator[ReferenceStack]:
    with ReferenceStack() as running:  # the default limits
        yield running


def auth(stack: ReferenceStack) -> dict[str, str]:
    return {"authorization": f"Bearer {stack.token}"}


def test_too_many_header_fields_431(stack: ReferenceStack) -> None:
    many = {f"x-field-{i}": "1" for i in range(ServerLimits().max_headers + 1)}
    reply = exchange(stack.gateway_url, head("GET", "/api/ai/v1/models", {**auth(stack), **many}))
    assert "header fields" in str(refused(reply, 431, "request_header_too_large")["message"])


def test_an_oversized_head_431(stack: ReferenceStack) -> None:
    big = {"x-big": "a" * (ServerLimits().max_header_bytes + 1)}
    refused(exchange(stack.gateway_url, head("GET", "/api/ai/v1/models", {**auth(stack), **big})), 431,
            "request_header_too_large")


def test_an_unfinished_oversized_head_is_refused_before_it_ends(stack: ReferenceStack) -> None:
    """A header value that never ends is refused once the head passes the limit, not buffered forever."""
    with connect(stack.gateway_url) as sock:
        sock.sendall(b"GET /api/ai/v1/models HTTP/1.1\r\nHost: x\r\nX-Endless: ")
        for _ in range(2 * ServerLimits().max_header_bytes // 8192 + 1):
            try:
                sock.sendall(b"a" * 8192)
            except (BrokenPipeError, ConnectionResetError):
                break  # refused and closed already
        refused(read_reply(sock), 431, "request_header_too_large")


def test_a_head_within_the_limits_is_served(stack: ReferenceStack) -> None:
    limits = ServerLimits()
    fields = {f"x-field-{i}": "1" for i in range(limits.max_headers - 3)}  # with x-big, Host, Authorization
    fields["x-big"] = "a" * (limits.max_header_bytes - 4096)
    reply = exchange(stack.gateway_url, head("GET", "/api/ai/v1/models", {**auth(stack), **fields}))
    assert reply is not None and reply.status == 200, reply


def test_a_client_gateway_refusal_carries_its_request_id(stack: ReferenceStack) -> None:
    many = {f"x-field-{i}": "1" for i in range(ServerLimits().max_headers + 1)}
    reply = exchange(stack.gateway_url, head("POST", CLIENT_PATH, many))
    assert reply is not None and reply.status == 431, reply
    assert reply.json()["request_id"] == reply.headers["x-request-id"]
    assert reply.json()["error"]["code"] == "request_header_too_large"


@pytest.fixture(scope="module")
def quick() -> Iterator[ReferenceStack]:
    with ReferenceStack(server_limits=ServerLimits(header_timeout_s=0.5, body_timeout_s=0.5)) as running:
        yield running


def test_a_head_not_finished_in_time_408(quick: ReferenceStack) -> None:
    with connect(quick.gateway_url) as sock:
        sock.sendall(b"POST /api/ai/v1/chat/completions HTTP/1.1\r\nHost: x\r\n")  # and nothing more
        assert "request head" in str(refused(read_reply(sock), 408, "request_timeout")["message"])


def test_a_silent_connection_is_closed_in_time(quick: ReferenceStack) -> None:
    with connect(quick.gateway_url) as sock:
        refused(read_reply(sock), 408, "request_timeout")


def test_a_body_not_finished_in_time_408(quick: ReferenceStack) -> None:
    with connect(quick.gateway_url) as sock:
        sock.sendall(head("POST", CHAT_PATH, {**auth(quick), "content-type": "application/json",
                                              "content-length": "100"}) + b'{"model": ')
        assert "request body" in str(refused(read_reply(sock), 408, "request_timeout")["message"])


def test_answers_slower_than_the_timeouts_are_not_cut(quick: ReferenceStack) -> None:
    """The timeouts bound the request's arrival only: a stream that takes longer still completes."""
    headers = {**auth(quick), "x-mock-ttft-ms": "800", "x-mock-itl-ms": "100"}
    with httpx.Client(base_url=quick.base_url, timeout=30, trust_env=False) as client:
        reply = client.post("/chat/completions", json={**CHAT, "stream": True}, headers=headers)
        assert reply.status_code == 200 and reply.text.rstrip().endswith("data: [DONE]"), reply.text[-200:]
        assert client.post("/chat/completions", json=CHAT, headers=auth(quick)).status_code == 200


def _slow_heads(url: str, count: int) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        sock = connect(url)
        sock.sendall(b"POST /api/ai/v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
        sockets.append(sock)
    return sockets


def test_at_the_cap_the_longest_waiting_connection_makes_room() -> None:
    """Slow-loris connections past the cap close the oldest of them; an authenticated caller is still served."""
    limits = ServerLimits(max_connections=8, header_timeout_s=300)
    with ReferenceStack(server_limits=limits) as stack:
        sockets = _slow_heads(stack.gateway_url, 20)
        try:
            assert all(closed_by_server(sock) for sock in sockets[:12]), "the 12 oldest are closed"
            with httpx.Client(base_url=stack.base_url, headers=auth(stack), timeout=30, trust_env=False) as client:
                assert [client.get("/models").status_code for _ in range(3)] == [200] * 3
                assert client.post("/chat/completions", json=CHAT).status_code == 200
            assert closed_by_server(sockets[12]), "the good caller's connection took the oldest slow one's place"
            assert not closed_by_server(sockets[-1], 0.2), "the newest slow connection is still open"
        finally:
            for sock in sockets:
                sock.close()


def test_at_the_cap_with_every_connection_busy_a_new_one_gets_503() -> None:
    limits = ServerLimits(max_connections=3, body_timeout_s=300)
    with ReferenceStack(server_limits=limits) as stack:
        busy = [connect(stack.gateway_url) for _ in range(3)]
        try:
            for sock in busy:  # authenticated, the body still to come: a request in progress
                sock.sendall(head("POST", CHAT_PATH, {**auth(stack), "content-type": "application/json",
                                                      "content-length": "1000"}))
            reply = exchange(stack.gateway_url, head("GET", "/api/ai/v1/models", auth(stack)))
            error = refused(reply, 503, "server_busy")
            assert "request_id" in json.dumps(reply.json() if reply else {})  # for either API: both contracts
            assert "connection limit" in str(error["message"])
        finally:
            for sock in busy:
                sock.close()
        with httpx.Client(base_url=stack.base_url, headers=auth(stack), timeout=30, trust_env=False) as client:
            assert client.get("/models").status_code == 200  # closed connections free their places



class FakeTransport:
    """What the protocol writes, and whether it closed; reading is never really paused."""

    def __init__(self) -> None:
        self.written, self.closing = b"", False

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str, default: object = None) -> object:
        return default

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


async def _read_all_and_answer(scope: dict[str, object], receive: object, send: object) -> None:
    more = True
    while more:
        message = await receive()  # type: ignore[operator]
        more = message.get("more_body", False) and message["type"] == "http.request"
    await send({"type": "http.response.start", "status": 204, "headers": []})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": b""})  # type: ignore[operator]


def test_body_bytes_read_with_the_next_head_do_not_count_towards_it() -> None:
    """A read holding the end of one body and the start of the next request's head (pipelined) counts only
    the head's bytes: fed to the protocol directly, so the read is exactly that."""
    loop = asyncio.new_event_loop()
    try:
        config = uvicorn.Config(_read_all_and_answer, http=protocol_class(ServerLimits()), lifespan="off")
        config.load()
        protocol = config.http_protocol_class(config=config, server_state=ServerState(), app_state={}, _loop=loop)
        transport = FakeTransport()
        protocol.connection_made(transport)  # type: ignore[arg-type]
        size = 2 * ServerLimits().max_header_bytes
        protocol.data_received(head("POST", "/x", {"content-length": str(size)}))
        protocol.data_received(b" " * size + b"GET /y HTTP/1.1\r\nHost: x\r\n")  # the next head, unfinished
        assert not transport.closing and b"431" not in transport.written, transport.written
        protocol.data_received(b"\r\n")
        loop.run_until_complete(asyncio.sleep(0.05))
        assert transport.written.count(b"HTTP/1.1 204") == 2, transport.written
        protocol.connection_lost(None)
        loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()
