"""Every API authenticates before it reads a request body: an unauthenticated upload is refused as it starts."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from rawhttp import connect, head, read_reply

from aigw_conformance.mocks.reference import ReferenceStack
from conftest import ERROR_ID

DECLARED = 30 * 1024 * 1024  # the body the request says it carries
SENT = 256 * 1024  # what is sent of it before the answer is awaited
GENERATED = re.compile(r"^req_[0-9a-f]{32}$")
BODY_POSTS = [
    ("POST", "/api/ai/v1/chat/completions", "application/json"),
    ("POST", "/api/ai/v1/embeddings", "application/json"),
    ("POST", "/api/ai/v1/chat/count", "application/json"),
    ("POST", "/api/ai/v1/audio/speech", "application/json"),
    ("POST", "/api/ai/v1/audio/transcriptions", "multipart/form-data; boundary=x"),
    ("POST", "/api/ai/v1/store/notes", "application/json"),
    ("PUT", "/api/ai/v1/store/notes/a", "application/json"),
    ("POST", "/api/client/v1/chat/completions", "application/json"),
]


@pytest.fixture(scope="module")
def stack() -> Iterator[ReferenceStack]:
    with ReferenceStack() as running:
        yield running


@pytest.mark.parametrize("method, path, content_type", BODY_POSTS, ids=[f"{m} {p}" for m, p, _ in BODY_POSTS])
@pytest.mark.parametrize("credentials", [{}, {"authorization": "Bearer wrong"}], ids=["none", "wrong"])
def test_an_unauthenticated_large_body_is_refused_before_it_is_sent(
    stack: ReferenceStack, method: str, path: str, content_type: str, credentials: dict[str, str]
) -> None:
    """The 401 comes while 30 MiB are still to be sent: the server answered without reading the body (nor
    parsing it: an unauthenticated 30 MB body once froze every client gateway caller for seconds)."""
    with connect(stack.gateway_url) as sock:
        sock.sendall(head(method, path, {"content-type": content_type, "content-length": str(DECLARED),
                                         **credentials}) + b"[" * SENT)
        reply = read_reply(sock)
    assert reply is not None, f"no answer after {SENT} of {DECLARED} bytes: the server waits for the body"
    assert reply.status == 401, reply
    assert reply.headers["content-type"] == "application/json"
    body = reply.json()
    assert body["error"]["message"] and body["error"]["type"] == "authentication_error"
    if path.startswith("/api/client/"):  # 002's contract: the ID in the body and the header
        assert GENERATED.match(body["request_id"]) and reply.headers["x-request-id"] == body["request_id"]
    else:
        assert reply.headers.get("x-error") and ERROR_ID.match(reply.headers.get("x-error-id", ""))
