"""`aigw serve` under slow-loris load: more slow unauthenticated connections than it has file descriptors for."""

from __future__ import annotations

import resource
import socket
from collections.abc import Iterator

import httpx
import pytest
from rawhttp import closed_by_server, connect
from served import interrupt, serve

SERVER_FILES = 512  # the server's `ulimit -n`: the connection cap becomes (512 - 256) // 3 = 85
SLOW = 600  # slow connections: more than the server has descriptors for
GOOD = 10


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (SERVER_FILES, SERVER_FILES))


@pytest.fixture
def served() -> Iterator[str]:
    """`aigw serve --port 0` in its own process with `ulimit -n` 512; its gateway root URL."""
    server = serve(preexec_fn=_limited)
    try:
        yield server.base_url.removesuffix("/api/ai/v1")
    finally:
        interrupt(server.process)


@pytest.fixture
def enough_files() -> Iterator[None]:
    """This process's own `ulimit -n` raised (within its hard limit) to hold the slow connections."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = SLOW + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"the hard open-file limit {hard} cannot hold {SLOW} connections")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _outcome(client: httpx.Client, method: str, path: str) -> str:
    chat = {"model": "gpt-5-mini", "messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 8}
    try:
        return str(client.request(method, path, json=chat if method == "POST" else None).status_code)
    except httpx.HTTPError as error:
        return type(error).__name__


def test_authenticated_callers_are_served_while_slow_connections_outnumber_the_descriptors(
    served: str, enough_files: None
) -> None:
    sockets: list[socket.socket] = []
    try:
        for _ in range(SLOW):  # each sends the start of a request head and then nothing
            sock = connect(served)
            sock.sendall(b"POST /api/ai/v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n")
            sockets.append(sock)
        # Every slow connection is accepted in turn; past the cap each closes the oldest one still waiting. That
        # the oldest are closed proves the server has taken them all in (the good callers come after them).
        settled = all(closed_by_server(sock) for sock in sockets[:SLOW - 100])
        with httpx.Client(base_url=served, headers={"authorization": "Bearer dev-token"}, timeout=30,
                          trust_env=False) as client:
            outcomes = [_outcome(client, "GET", "/api/ai/v1/models") for _ in range(GOOD)]
            outcomes.append(_outcome(client, "POST", "/api/ai/v1/chat/completions"))
        assert outcomes == ["200"] * (GOOD + 1), outcomes
        assert settled, "the oldest slow connections are closed"
    finally:
        for sock in sockets:
            sock.close()
