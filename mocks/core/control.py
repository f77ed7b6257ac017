"""The `/__mock__` control endpoints, the journal and run-wide faults, added to any mock by `install()`."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aigw_conformance.mocks.core import faults
from aigw_conformance.mocks.core.journal import Journal, route_path
from aigw_conformance.mocks.core.rules import FaultRules, FaultSpecError
from aigw_conformance.mocks.core.sse import dumps

PREFIX = "/__mock__/"
WIRE_KINDS = frozenset({"slow_headers", "status", "malformed"})
"""Kinds the middleware applies itself; the others (latency, disconnect, stall) reach the app as headers,
for its `faults.from_headers(...).before_chunk` pacer, which alone knows token events and the terminator."""

ErrorBuilder = Callable[[faults.Failure], Response]
"""A provider's native error response for an injected failure (429 with Retry-After and rate-limit headers)."""
Direct = Callable[[Scope, str, bytes, Receive, Send], Awaitable[bool]]
"""A provider's shortcut for its hot endpoints, tried for a request no fault applies to, after it is journaled:
`(scope, route path, whole body, receive, send)`; it answers the request itself (returning True) or returns
False, and the app then routes it as usual. It must answer exactly as the app's route would."""


@dataclass
class Controller:
    """What `install` adds to a mock: its journal and its fault rules (also at `app.state.mock_control`)."""

    journal: Journal = field(default_factory=Journal)
    rules: FaultRules = field(default_factory=FaultRules)

    def reset(self) -> dict[str, Any]:
        """Clear the journal and the fault rules (start-up defaults stay); `cleared` counts journal entries."""
        self.rules.clear()
        return {"reset": True, "cleared": self.journal.clear()}


def install(
    app: Starlette, error: ErrorBuilder, *, journal: Journal | None = None, direct: Direct | None = None
) -> Controller:
    """Add the control endpoints, the journal and run-wide faults to `app` (before it first serves).
    Pass the journal the app's handlers record into, so each request is journaled once; `direct` (optional)
    answers the requests it knows without the app's routing when no fault applies (see `Direct`)."""
    controller = Controller(Journal() if journal is None else journal)
    app.add_middleware(ControlMiddleware, controller=controller, error=error, direct=direct)
    app.state.mock_control = controller
    return controller


def controller_of(app: Any) -> Controller | None:
    """The controller `install` gave `app`, if any."""
    state = getattr(app, "state", None)
    found = getattr(state, "mock_control", None)
    return found if isinstance(found, Controller) else None


def _json(payload: Any, status: int = 200) -> Response:
    return Response(dumps(payload), status, media_type="application/json")


def _problem(status: int, message: str) -> Response:
    return _json({"error": {"message": message, "type": "mock_control_error"}}, status)


def replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def read_body(receive: Receive) -> bytes:
    message = await receive()
    if message["type"] != "http.request":
        return b""
    body = message.get("body", b"")
    if type(body) is bytes and not message.get("more_body", False):  # the whole body at once: no copy
        return body
    chunks = [body]
    while message.get("more_body", False):
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunks.append(message.get("body", b""))
    return b"".join(chunks)


def _malformed(send: Send, after: int) -> Send:
    """`send` that slips `faults.MALFORMED_CHUNK` into an event stream after `after` body chunks."""
    count, stream, done = 0, False, False

    async def send_malformed(message: Message) -> None:
        nonlocal count, stream, done
        if message["type"] == "http.response.start":
            stream = Headers(raw=message.get("headers", [])).get("content-type", "").startswith("text/event-stream")
        elif message["type"] == "http.response.body" and stream and not done:
            if count == after:
                done = True
                await send({"type": "http.response.body", "body": faults.MALFORMED_CHUNK, "more_body": True})
            count += 1 if message.get("body") else 0
        await send(message)

    return send_malformed


class ControlMiddleware:
    """Serves `/__mock__/*`; journals every other request, then applies its faults: the request's
    `x-mock-*` headers, and for the kinds they leave out, the control endpoint's rules."""

    def __init__(
        self, app: ASGIApp, controller: Controller, error: ErrorBuilder, direct: Direct | None = None
    ) -> None:
        self.app, self.controller, self.error, self.direct = app, controller, error, direct

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        if path.startswith(PREFIX):
            request = Request(scope, receive)
            await (await self._control(request, path[len(PREFIX):]))(scope, receive, send)
            return
        body = await read_body(receive)
        self.controller.journal.record_scope(scope, body)
        given = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"] if k[:7] == b"x-mock-"}
        ruled = self.controller.rules.headers_for(scope["method"], path)
        if not given and not ruled:
            if self.direct is None or not await self.direct(scope, path, body, receive, send):
                await self.app(scope, replay(body, receive), send)
            return
        receive = replay(body, receive)
        kinds = {faults.KIND_OF.get(name) for name in given}
        merged = {**{h: v for h, v in ruled.items() if faults.KIND_OF[h] not in kinds}, **given}
        try:
            plan = faults.from_headers({h: v for h, v in merged.items() if faults.KIND_OF.get(h) in WIRE_KINDS})
            faults.from_headers(merged)
        except faults.FaultHeaderError:  # the app answers it with its native 400
            await self.app(scope, receive, send)
            return
        if (failure := await plan.before_headers()) is not None:
            await self.error(failure)(scope, receive, send)
            return
        for fault in plan.faults:
            if isinstance(fault, faults.MalformedAfter):
                send = _malformed(send, fault.events)
        kept = [(k, v) for k, v in scope["headers"] if k[:7] != b"x-mock-"]
        kept += [(h.encode(), v.encode()) for h, v in merged.items() if faults.KIND_OF.get(h) not in WIRE_KINDS]
        await self.app({**scope, "headers": kept}, receive, send)

    async def _control(self, request: Request, action: str) -> Response:
        rules, method = self.controller.rules, request.method
        if action == "journal" and method == "GET":
            since = request.query_params.get("since", "0")
            entries = self.controller.journal.entries(int(since) if since.isdigit() else 0)
            if marker := request.query_params.get("contains"):  # only the requests whose body holds it
                entries = [e for e in entries if marker.encode("utf-8") in e.raw_body]
            return _json({"object": "list", "data": [e.to_json() for e in entries]})
        if action == "reset" and method == "POST":
            return _json(self.controller.reset())
        if action == "faults" and method == "GET":
            return _json(rules.to_json())
        if action == "faults" and method == "DELETE":
            return _json({"cleared": rules.clear()})
        if action == "faults" and method == "POST":
            try:
                return _json(rules.add(json.loads(await request.body())).to_json(), 201)
            except ValueError as error:  # FaultSpecError, or a body that is not JSON
                message = str(error) if isinstance(error, FaultSpecError) else f"invalid JSON: {error}"
                return _problem(400, message)
        if action.startswith("faults/") and method == "DELETE" and action[7:].isdigit():
            if rules.remove(int(action[7:])):
                return _json({"deleted": int(action[7:])})
            return _problem(404, f"no fault rule {action[7:]}")
        if action in ("journal", "reset", "faults") or action.startswith("faults/"):
            return _problem(405, f"{method} is not allowed on {PREFIX}{action}")
        return _problem(404, f"unknown control endpoint {PREFIX}{action}")
