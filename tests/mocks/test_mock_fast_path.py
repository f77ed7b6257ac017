"""The OpenAI mock's memoised front path (`mocks.openai.direct.Direct.front`): same bytes, faults, journal, settings."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.openai.app import OpenAIMock, create_app
from aigw_conformance.mocks.openai.catalogue import ModelSpec

CHAT = {"model": "gpt-5", "messages": [{"role": "system", "content": "You are a SOC assistant."},
                                       {"role": "user", "content": "What is XDR in cybersecurity?"}]}
Result = dict[str, Any]


def _call(app: Any, method: str, path: str, body: Any = None, query: str = "", **headers: str) -> Result:
    """One request over raw ASGI: status, headers (x-request-id blanked), body chunks, and whether the
    request went past the front (the app's middleware stack ran)."""
    raw = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = {"authorization": "Bearer test-key", **headers}
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "http", "method": method,
        "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000), "root_path": "", "path": path,
        "raw_path": path.encode(), "query_string": query.encode(), "state": {},
        "headers": [(k.encode(), v.encode()) for k, v in sent.items() if v],
    }
    messages: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            await asyncio.sleep(3600)
        delivered = True
        return {"type": "http.request", "body": raw, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    asyncio.run(app(scope, receive, send))
    head = [(k.decode(), v.decode()) for k, v in messages[0]["headers"]]
    return {
        "status": messages[0]["status"],
        "headers": [(k, "req_*" if k == "x-request-id" else v) for k, v in head],
        "chunks": [m.get("body", b"") for m in messages[1:]],
        "more_body": [m.get("more_body", False) for m in messages[1:]],
        "routed": isinstance(scope.get("app"), OpenAIMock),  # the mock's Starlette ran: the front passed it on
    }


def _unrouted(result: Result) -> Result:
    return {k: v for k, v in result.items() if k != "routed"}


@pytest.mark.parametrize("body", [CHAT, {**CHAT, "stream": True}, {**CHAT, "n": 2, "seed": 4}])
def test_memoised_answer_is_byte_identical_to_a_fresh_one(body: dict[str, Any]) -> None:
    app = create_app("test-key", deterministic_ids=True)
    first = _call(app, "POST", "/v1/chat/completions", body)
    second = _call(app, "POST", "/v1/chat/completions", body)
    fresh = _call(create_app("test-key", deterministic_ids=True), "POST", "/v1/chat/completions", body)
    assert first["routed"] and not second["routed"]  # the second answer came from the front's memo
    assert _unrouted(second) == _unrouted(first) == _unrouted(fresh)
    assert first["status"] == 200 and [k for k, _ in second["headers"]][-1] == "x-request-id"


def test_memoised_model_list_follows_the_served_models() -> None:
    app = create_app("test-key", strict_models=True)
    first, second = (_call(app, "GET", "/v1/models") for _ in range(2))
    assert first["routed"] and not second["routed"] and _unrouted(first) == _unrouted(second)
    models = app.state.mock.models
    models["gpt-new"] = ModelSpec(1)
    listed = _call(app, "GET", "/v1/models")
    assert listed["routed"] and "gpt-new" in [m["id"] for m in json.loads(listed["chunks"][0])["data"]]
    del models["gpt-5"]
    models["gpt-5"] = ModelSpec(1_754_425_777)  # same models, another order: another body
    reordered = _call(app, "GET", "/v1/models")
    assert reordered["routed"] and json.loads(reordered["chunks"][0])["data"][-1]["id"] == "gpt-5"


def test_faults_apply_to_a_memoised_body() -> None:
    app = create_app("test-key", deterministic_ids=True)
    ok = _call(app, "POST", "/v1/chat/completions", CHAT)
    assert _call(app, "POST", "/v1/chat/completions", CHAT, **{"x-mock-status": "429"})["status"] == 429
    filtered = _call(app, "POST", "/v1/chat/completions", CHAT, **{"x-mock-content-filter": "1"})
    if filtered["status"] == 200:  # the content_filter fault, where the faults module has it
        assert json.loads(filtered["chunks"][0])["choices"][0]["finish_reason"] == "content_filter"
    bad = _call(app, "POST", "/v1/chat/completions", CHAT, **{"x-mock-delay-ms": "soon"})
    assert bad["status"] == 400 and bad["routed"]
    rule = {"kind": "status", "status": 502, "path": "/v1/chat/*", "times": 2}
    assert _call(app, "POST", "/__mock__/faults", rule)["status"] == 201
    assert [_call(app, "POST", "/v1/chat/completions", CHAT)["status"] for _ in range(3)] == [502, 502, 200]
    assert _call(app, "POST", "/__mock__/faults", {"kind": "status", "status": 503})["status"] == 201
    assert _call(app, "GET", "/v1/models")["status"] == 503
    assert _call(app, "DELETE", "/__mock__/faults")["status"] == 200
    again = _call(app, "POST", "/v1/chat/completions", CHAT)
    assert not again["routed"] and _unrouted(again) == _unrouted(ok)


def test_every_request_is_journaled_once_with_what_it_received() -> None:
    app = create_app("test-key")
    journal = app.state.mock_control.journal
    for trace in ("a", "b", "c"):
        _call(app, "POST", "/v1/chat/completions", CHAT, query="q=1", **{"x-trace": trace})
    _call(app, "GET", "/v1/models", **{"x-trace": "d"})
    _call(app, "GET", "/v1/models", **{"x-trace": "e"})
    entries = journal.entries()
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert [e.headers["x-trace"] for e in entries] == ["a", "b", "c", "d", "e"]
    assert all(e.json == CHAT and e.query == "q=1" and e.path == "/v1/chat/completions" for e in entries[:3])
    assert all(e.method == "GET" and e.path == "/v1/models" and e.size == 0 for e in entries[3:])


def test_changed_settings_are_honoured_at_once() -> None:
    app = create_app("test-key", strict_models=True)
    state = app.state.mock
    unknown = {**CHAT, "frobnicate": 1}
    assert _call(app, "POST", "/v1/chat/completions", CHAT)["status"] == 200
    assert _call(app, "POST", "/v1/chat/completions", CHAT, authorization="Bearer nope")["status"] == 401
    state.api_key = "rotated"
    assert _call(app, "POST", "/v1/chat/completions", CHAT)["status"] == 401
    assert _call(app, "GET", "/v1/models")["status"] == 401
    state.api_key = "test-key"
    del state.models["gpt-5"]
    assert _call(app, "POST", "/v1/chat/completions", CHAT)["status"] == 404
    state.models["gpt-5"] = ModelSpec(1)
    state.models.strict = False
    assert _call(app, "POST", "/v1/chat/completions", {**CHAT, "model": "gpt-unlisted"})["status"] == 200
    state.models.strict = True
    assert _call(app, "POST", "/v1/chat/completions", {**CHAT, "model": "gpt-unlisted"})["status"] == 404
    stop = {**CHAT, "stop": ["zz"]}
    assert _call(app, "POST", "/v1/chat/completions", stop)["status"] == 400  # gpt-5 refuses `stop`
    state.reasoning_limits = False
    assert _call(app, "POST", "/v1/chat/completions", stop)["status"] == 200
    state.reasoning_limits = True
    assert _call(app, "POST", "/v1/chat/completions", stop)["status"] == 400
    state.strict = False
    assert _call(app, "POST", "/v1/chat/completions", unknown)["status"] == 200
    assert _call(app, "POST", "/v1/chat/completions", unknown)["status"] == 200
    state.strict = True
    assert _call(app, "POST", "/v1/chat/completions", unknown)["status"] == 400
    reasoning = {**CHAT, "reasoning_effort": "low"}
    hidden = _call(app, "POST", "/v1/chat/completions", reasoning)
    state.expose_reasoning = True
    shown = _call(app, "POST", "/v1/chat/completions", reasoning)
    assert shown["routed"] and "reasoning" in json.loads(shown["chunks"][0])["choices"][0]["message"]
    assert "reasoning" not in json.loads(hidden["chunks"][0])["choices"][0]["message"]


def test_a_mounted_mock_uses_the_front_too() -> None:
    mock = create_app(strict=False, deterministic_ids=True)
    outer = Starlette(routes=[Mount("/threatwinds", app=mock)])
    first, second = (_call(outer, "POST", "/threatwinds/v1/chat/completions", CHAT) for _ in range(2))
    assert first["routed"] and not second["routed"] and first["status"] == 200
    assert _unrouted(first) == _unrouted(second)
    assert [e.path for e in mock.state.mock_control.journal.entries()] == ["/v1/chat/completions"] * 2


def test_server_thread_runs_on_the_installed_loop() -> None:
    """`ServerThread` serves on uvloop when it is installed, as `uvicorn.run` does (and the benchmark)."""
    pytest.importorskip("uvloop")
    loops: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        loops.append(type(asyncio.get_running_loop()).__module__.split(".")[0])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with ServerThread(app, name="loop-probe") as server:
        assert httpx.get(server.base_url).status_code == 204
    assert loops == ["uvloop"]


def test_journal_append_keeps_what_add_keeps() -> None:
    """`Journal.append` (the front's) keeps a tuple and builds the entry when read: the same entry as `add`."""
    from aigw_conformance.mocks.core.journal import MAX_BODY_BYTES, Journal

    headers = [(b"authorization", b"Bearer k"), (b"x-a", b"1"), (b"x-a", b"2")]
    added, appended = Journal(max_entries=3), Journal(max_entries=3)
    for n in range(4):
        body = b"x" * (MAX_BODY_BYTES + n)
        added.add("POST", f"/{n}", "q=1", headers, body)
        appended.append("POST", f"/{n}", "q=1", headers, body)
    assert [e.to_json() for e in appended.entries()] == [e.to_json() for e in added.entries()]
    assert [e.seq for e in appended.entries(since=3)] == [4] and appended.entries()[0].size == MAX_BODY_BYTES + 1
    first = appended.entries()
    assert all(a is b for a, b in zip(first, appended.entries(), strict=True))  # built once, then kept
    appended.append("GET", "/v1/models", "", [], b"")
    assert [e.seq for e in appended.entries()] == [3, 4, 5] and len(appended) == 3
    assert appended.clear() == 3 and appended.entries() == []
