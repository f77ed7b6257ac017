"""A fifth provider assembled from `mocks.core.skeleton` alone: its routes and errors, nothing else copied."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aigw_conformance.mocks.core import skeleton
from aigw_conformance.mocks.core.journal import Journal
from aigw_conformance.mocks.core.server import ServerThread


class TinyError(Exception):
    """The tiny provider's native error: `{"fault": {"status", "says"}}`."""

    def __init__(self, status: int, says: str) -> None:
        super().__init__(says)
        self.status, self.says = status, says

    def response(self) -> Response:
        return Response(json.dumps({"fault": {"status": self.status, "says": self.says}}), self.status,
                        media_type="application/json")


def _check_key(request: Request, api_key: str | None) -> None:
    given = request.headers.get("x-tiny-key", "")
    if not given or (api_key is not None and given != api_key):
        raise TinyError(401, "who are you")


def _reshaped(exc: Exception) -> skeleton.NativeError:
    return TinyError(422, f"cannot: {exc}")


PLUMBING = skeleton.Plumbing(
    errors=(TinyError,), injected=lambda status, retry_after: TinyError(status, f"injected, retry {retry_after}"),
    bad_fault_header=lambda exc: TinyError(400, f"bad {exc.header}"), check_key=_check_key,
    unrouted=lambda request, exc: TinyError(exc.status_code, f"no {request.url.path}").response(),
    converted={ArithmeticError: _reshaped}, request_id=(b"tiny-request", lambda: b"t-1"),
)


@dataclass
class TinyState:
    api_key: str | None
    journal: Journal = field(default_factory=Journal)


async def echo(request: Request) -> Response:
    plan = await skeleton.admit(request, PLUMBING)
    body = json.loads(await request.body())
    if body.get("divide"):
        return skeleton.json_response({"quotient": 1 // 0})
    return skeleton.answer(bool(body.get("stream")), lambda: {"echo": body, "state": type(
        skeleton.state_of(request, TinyState)).__name__}, lambda: [], plan)


def _boom(request: Request) -> Response:
    raise HTTPException(418)


ROUTES = [Route("/tiny/echo", echo, methods=["POST"]), Route("/tiny/teapot", _boom, methods=["GET"])]


@pytest.fixture
def tiny() -> Iterator[httpx.Client]:
    app = skeleton.create_app(PLUMBING, ROUTES, TinyState(api_key="secret"))
    with ServerThread(app, name="tiny-mock") as server, httpx.Client(base_url=server.base_url, timeout=10) as http:
        yield http


KEY = {"x-tiny-key": "secret"}


def fault(reply: httpx.Response) -> dict[str, object]:
    found: dict[str, object] = reply.json()["fault"]
    return found


def test_key_check_routes_and_native_errors(tiny: httpx.Client) -> None:
    ok = tiny.post("/tiny/echo", json={"a": 1}, headers=KEY)
    assert ok.status_code == 200 and ok.json() == {"echo": {"a": 1}, "state": "TinyState"}
    assert ok.headers["tiny-request"] == "t-1"
    assert fault(tiny.post("/tiny/echo", json={}, headers={"x-tiny-key": "wrong"})) == {
        "status": 401, "says": "who are you"}
    assert tiny.post("/tiny/echo", json={}).status_code == 401
    assert fault(tiny.get("/tiny/nowhere")) == {"status": 404, "says": "no /tiny/nowhere"}
    assert fault(tiny.get("/tiny/echo")) == {"status": 405, "says": "no /tiny/echo"}
    assert fault(tiny.get("/tiny/teapot")) == {"status": 418, "says": "no /tiny/teapot"}
    assert fault(tiny.post("/tiny/echo", json={"divide": True}, headers=KEY)) == {
        "status": 422, "says": "cannot: integer division or modulo by zero"}
    streamed = tiny.post("/tiny/echo", json={"stream": True}, headers=KEY)
    assert streamed.headers["content-type"].startswith("text/event-stream") and streamed.content == b""


def test_header_faults_and_control_rules_answer_natively(tiny: httpx.Client) -> None:
    injected = tiny.post("/tiny/echo", json={}, headers={**KEY, "x-mock-status": "429"})
    assert injected.status_code == 429 and fault(injected)["says"] == "injected, retry None"
    assert fault(tiny.post("/tiny/echo", json={}, headers={**KEY, "x-mock-delay-ms": "soon"})) == {
        "status": 400, "says": "bad x-mock-delay-ms"}
    assert tiny.post("/__mock__/faults", json={"kind": "status", "status": 503, "times": 1}).status_code == 201
    ruled = tiny.post("/tiny/echo", json={}, headers=KEY)
    assert ruled.status_code == 503 and fault(ruled)["status"] == 503
    assert tiny.post("/tiny/echo", json={}, headers=KEY).status_code == 200


def test_journal_and_reset(tiny: httpx.Client) -> None:
    tiny.post("/tiny/echo", json={"n": 1}, headers=KEY)
    tiny.post("/tiny/echo", json={"n": "marker-2"})  # refused, journaled all the same
    tiny.get("/tiny/nowhere")
    entries = tiny.get("/__mock__/journal").json()["data"]
    assert [(e["method"], e["path"]) for e in entries] == [
        ("POST", "/tiny/echo"), ("POST", "/tiny/echo"), ("GET", "/tiny/nowhere")]
    assert len(tiny.get("/__mock__/journal", params={"contains": "marker-2"}).json()["data"]) == 1
    assert tiny.post("/__mock__/reset").json() == {"reset": True, "cleared": 3}
    assert tiny.get("/__mock__/journal").json()["data"] == []


def test_state_of_refuses_another_providers_state() -> None:
    app = skeleton.create_app(PLUMBING, ROUTES, TinyState(api_key=None))

    class Other:
        pass

    request = Request({"type": "http", "app": app, "headers": []})
    assert skeleton.state_of(request, TinyState) is app.state.mock
    with pytest.raises(TypeError):
        skeleton.state_of(request, Other)
