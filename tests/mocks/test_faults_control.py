"""Run-wide faults through `/__mock__/faults`, the new fault kinds and headers, and the bounded journal."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import openai
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from aigw_conformance.mocks.core import control, faults, rules, sse
from aigw_conformance.mocks.core.journal import MAX_BODY_BYTES, Journal
from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.openai.app import create_app

MESSAGES: list[Any] = [{"role": "user", "content": "What is XDR?"}]
AUTH = {"authorization": "Bearer test-key"}
CHAT = {"model": "gpt-5", "messages": MESSAGES}
STREAM = {**CHAT, "stream": True}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with ServerThread(create_app(deterministic_ids=True), name="openai-mock-control") as server:
        yield server.base_url


@pytest.fixture(autouse=True)
def clean(base_url: str) -> Iterator[None]:
    yield
    assert httpx.post(f"{base_url}/__mock__/reset", timeout=5).status_code == 200


def chat(base_url: str, body: Any = CHAT, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(f"{base_url}/v1/chat/completions", json=body, headers={**AUTH, **(headers or {})}, timeout=10)


def add_faults(base_url: str, body: Any) -> dict[str, Any]:
    reply = httpx.post(f"{base_url}/__mock__/faults", json=body, timeout=5)
    assert reply.status_code == 201, reply.text
    rule: dict[str, Any] = reply.json()
    return rule


def test_status_rule_fails_the_next_n_matching_requests_in_openai_shape(base_url: str) -> None:
    rule = add_faults(base_url, {"faults": [{"kind": "status", "status": 429, "retry_after": 2}],
                                 "path": "/v1/chat/*", "times": 3})
    assert rule["remaining"] == 3 and rule["path"] == "/v1/chat/*"
    assert httpx.get(f"{base_url}/v1/models", headers=AUTH).status_code == 200  # outside the path glob
    for _ in range(3):
        reply = chat(base_url)
        assert reply.status_code == 429 and reply.headers["retry-after"] == "2"
        assert reply.headers["x-ratelimit-remaining-requests"] == "0" and reply.headers["x-request-id"]
        assert reply.json()["error"]["code"] == "rate_limit_exceeded"
    assert chat(base_url).status_code == 200
    assert httpx.get(f"{base_url}/__mock__/faults").json()["data"] == []


def test_sdk_sees_any_injected_status_and_header_faults_win(base_url: str) -> None:
    add_faults(base_url, [{"kind": "status", "status": 529}])
    with openai.OpenAI(base_url=f"{base_url}/v1", api_key="k", max_retries=0, timeout=10) as client, \
            pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model="gpt-5", messages=MESSAGES)
    assert caught.value.status_code == 529 and caught.value.response.json()["error"]["type"] == "server_error"
    assert chat(base_url, headers={"x-mock-status": "503"}).status_code == 503
    assert chat(base_url, headers={"x-mock-status": "bad"}).json()["error"]["param"] == "x-mock-status"


def test_seeded_rate_fails_a_deterministic_share_of_requests() -> None:
    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://mock", headers=AUTH) as client:
            rule = {"faults": [{"kind": "status", "status": 503, "rate": 0.2, "seed": 7}]}
            assert (await client.post("/__mock__/faults", json=rule)).status_code == 201
            return [(await client.get("/v1/models")).status_code for _ in range(200)]

    first = asyncio.run(run())
    assert first == asyncio.run(run()) and set(first) == {200, 503}
    assert 25 <= first.count(503) <= 55


def test_control_endpoint_lists_deletes_validates_and_resets(base_url: str) -> None:
    one = add_faults(base_url, {"kind": "latency", "ttft_ms": 1})
    two = add_faults(base_url, {"faults": [{"kind": "disconnect", "after": 1}], "method": "post"})
    listed = httpx.get(f"{base_url}/__mock__/faults").json()
    assert [r["id"] for r in listed["data"]] == [one["id"], two["id"]] and two["method"] == "POST"
    assert httpx.delete(f"{base_url}/__mock__/faults/{one['id']}").json() == {"deleted": one["id"]}
    assert httpx.delete(f"{base_url}/__mock__/faults/{one['id']}").status_code == 404
    assert httpx.delete(f"{base_url}/__mock__/faults").json() == {"cleared": 1}
    bad_rules: list[Any] = [
        {"kind": "teleport"}, {"kind": "status"}, {"kind": "status", "status": 200}, [{"kind": "stall"}],
        {"kind": "status", "status": 500, "rate": 2}, {"faults": []}, {"faults": [{"kind": "stall", "after": 1}],
        "times": 0}, {"kind": "stall", "after": "3"}, {"kind": "latency", "seed": 1}, {"kind": "malformed", "at": 1},
        {"kind": "status", "status": 500, "path": "v1"}, "nope",
    ]
    for bad in bad_rules:
        reply = httpx.post(f"{base_url}/__mock__/faults", json=bad)
        assert reply.status_code == 400 and reply.json()["error"]["message"], bad
    assert httpx.post(f"{base_url}/__mock__/faults", content=b"{").status_code == 400
    assert httpx.get(f"{base_url}/__mock__/nothing").status_code == 404
    assert httpx.put(f"{base_url}/__mock__/faults").status_code == 405
    add_faults(base_url, {"kind": "status", "status": 500})
    chat(base_url)
    assert httpx.post(f"{base_url}/__mock__/reset").json() == {"reset": True, "cleared": 1}
    assert httpx.get(f"{base_url}/__mock__/faults").json()["data"] == []


def stream_text(base_url: str, headers: dict[str, str], timeout: float = 10) -> tuple[str, Exception | None]:
    received: list[str] = []
    try:
        with httpx.stream("POST", f"{base_url}/v1/chat/completions", json=STREAM, headers={**AUTH, **headers},
                          timeout=timeout) as reply:
            for text in reply.iter_text():
                received.append(text)
    except (httpx.RemoteProtocolError, httpx.ReadTimeout) as error:
        return "".join(received), error
    return "".join(received), None


@pytest.mark.parametrize("by_header", [True, False])
def test_malformed_chunk_is_sent_after_n_events_then_the_stream_goes_on(base_url: str, by_header: bool) -> None:
    clean_events = stream_text(base_url, {})[0].split("\n\n")
    if not by_header:
        add_faults(base_url, {"kind": "malformed", "after": 2})
    text, error = stream_text(base_url, {"x-mock-malformed-after": "2"} if by_header else {})
    events = text.split("\n\n")
    assert error is None and events == [*clean_events[:2], 'data: {"truncated', *clean_events[2:]]


def test_stall_keeps_the_connection_open_then_drops_it(base_url: str) -> None:
    started = time.perf_counter()
    text, error = stream_text(base_url, {"x-mock-stall-after": "2", "x-mock-stall-ms": "300"})
    assert isinstance(error, httpx.RemoteProtocolError) and time.perf_counter() - started >= 0.3
    assert text.count("data: ") == 2
    add_faults(base_url, {"kind": "stall", "after": 1, "max_ms": 2000})
    text, error = stream_text(base_url, {}, timeout=0.3)
    assert isinstance(error, httpx.ReadTimeout) and text.count("data: ") == 1


def test_control_latency_and_slow_headers_apply_and_headers_override_them(base_url: str) -> None:
    # The override is told from the configured delays by a whole second (their sum), not by wall-clock luck.
    configured_s = 0.6 + 0.4
    add_faults(base_url, [{"kind": "latency", "ttft_ms": 600}, {"kind": "slow_headers", "ms": 400}])
    started = time.perf_counter()
    assert chat(base_url, STREAM).status_code == 200 and time.perf_counter() - started >= configured_s
    started = time.perf_counter()
    assert chat(base_url, STREAM, {"x-mock-ttft-ms": "0", "x-mock-delay-ms": "0"}).status_code == 200
    assert time.perf_counter() - started < configured_s
    add_faults(base_url, {"kind": "disconnect", "after": 1})
    text, error = stream_text(base_url, {"x-mock-ttft-ms": "0", "x-mock-delay-ms": "0"})
    assert isinstance(error, httpx.RemoteProtocolError) and text.count("data: ") == 1


def test_jitter_is_seeded_and_faults_compose(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(anyio, "sleep", sleep)
    frames = [sse.Frame(b"a"), sse.Frame(b"t", token=True), sse.Frame(b"f"), sse.Frame(b"t", token=True)]

    def run(headers: dict[str, str]) -> list[float]:
        slept.clear()
        plan = faults.from_headers(headers)
        assert all(asyncio.run(plan.before_chunk(i, f)) for i, f in enumerate(frames))
        return list(slept)

    first = run({"x-mock-jitter-ms": "50", "x-mock-seed": "3", "x-mock-itl-ms": "10"})
    assert first == run({"x-mock-jitter-ms": "50", "x-mock-seed": "3", "x-mock-itl-ms": "10"})
    assert len(first) == 5 and first[1] == 0.01 and all(0 <= s <= 0.05 for s in first)
    assert first != run({"x-mock-jitter-ms": "50", "x-mock-seed": "4", "x-mock-itl-ms": "10"})
    assert rules.spec_headers({"kind": "latency", "jitter_ms": 5, "seed": 3}) == {
        "x-mock-jitter-ms": "5", "x-mock-seed": "3"}


def test_rules_later_wins_per_kind_defaults_survive_clear() -> None:
    store = rules.FaultRules()
    store.add({"kind": "latency", "ttft_ms": 5}, default=True)
    store.add({"faults": [{"kind": "status", "status": 500}], "path": "/v1/*", "times": 1})
    store.add({"kind": "status", "status": 502})
    assert store.headers_for("GET", "/v1/models") == {"x-mock-ttft-ms": "5", "x-mock-status": "502"}
    assert store.headers_for("GET", "/v1/models") == {"x-mock-ttft-ms": "5", "x-mock-status": "502"}
    assert store.clear() == 1 and store.headers_for("GET", "/x") == {"x-mock-ttft-ms": "5"}
    assert len(store.to_json()["defaults"]) == 1


def test_journal_is_bounded_thread_safe_and_records_what_was_received(base_url: str) -> None:
    journal = Journal(max_entries=50)

    def add(n: int) -> None:
        for i in range(200):
            journal.add("GET", f"/{n}/{i}", "", [], b"")

    threads = [threading.Thread(target=add, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    entries = journal.entries()
    assert len(entries) == 50 and [e.seq for e in entries] == list(range(751, 801))
    assert [e.seq for e in journal.entries(since=798)] == [799, 800]
    big = journal.add("POST", "/big", "", [], b"x" * (MAX_BODY_BYTES + 5))
    assert len(big.raw_body) == MAX_BODY_BYTES and big.size == MAX_BODY_BYTES + 5
    add_faults(base_url, {"kind": "latency", "itl_ms": 1})
    chat(base_url, {**CHAT, "seed": 1}, {"x-mock-malformed-after": "9"})
    httpx.get(f"{base_url}/v1/nowhere?q=1", headers=AUTH)
    [first, second] = httpx.get(f"{base_url}/__mock__/journal").json()["data"]
    assert first["json"] == {**CHAT, "seed": 1} and first["headers"]["x-mock-malformed-after"] == "9"
    assert "x-mock-itl-ms" not in first["headers"]  # what was received, not the faults the rules added
    assert second["path"] == "/v1/nowhere" and second["query"] == "q=1" and second["json"] is None
    assert first["size"] == len(first["body"].encode()) and second["size"] == 0
    assert httpx.get(f"{base_url}/__mock__/journal?since={first['seq']}").json()["data"] == [second]


def test_any_starlette_app_adopts_control_with_its_own_error_shape() -> None:
    async def tokens(request: Request) -> Response:
        plan = faults.from_headers(request.headers)
        frames = [sse.Frame(sse.encode_json({"t": i}), token=True) for i in range(5)]
        return sse.EventStreamResponse([*frames, sse.Frame(sse.encode_done(), final=True)], pacer=plan.before_chunk)

    openai_app = create_app()
    found = control.controller_of(openai_app)
    assert found is not None and found.journal is openai_app.state.mock.journal  # one journal, one entry each
    journal = Journal()
    app = Starlette(routes=[Route("/v1/tokens", tokens, methods=["POST"])])
    control.install(app, lambda f: JSONResponse({"type": "error", "status": f.status}, f.status), journal=journal)
    assert control.controller_of(app) is not None and control.controller_of(Starlette()) is None
    with ServerThread(app, name="neutral-mock") as server:
        add_faults(server.base_url, {"kind": "status", "status": 529, "times": 1})
        reply = httpx.post(f"{server.base_url}/v1/tokens", content=b"{}")
        assert reply.status_code == 529 and reply.json() == {"type": "error", "status": 529}
        add_faults(server.base_url, {"kind": "disconnect", "after": 2})
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.post(f"{server.base_url}/v1/tokens", content=b"{}")
        assert [e.path for e in journal.entries()] == ["/v1/tokens", "/v1/tokens"]
