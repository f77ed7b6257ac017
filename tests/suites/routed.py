"""A gateway reached only with a routing header: the reference behind an ASGI guard that answers 404 without it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.reference.app import BASE_PATH, create_app
from aigw_conformance.mocks.reference.stack import ReferenceStack

ROUTE_HEADER, ROUTE_VALUE = "x-route", "blue-7f3a9c21"
NO_ROUTE = json.dumps({"message": "no route for this request"}).encode()


class RouteRequired:
    """Passes a request with `x-route: <value>` to `app`; answers any other with a bare 404 (no x-error), the
    way a gateway answers traffic its router cannot place. `unrouted` counts the requests that had no route."""

    def __init__(self, app: Any, value: str = ROUTE_VALUE) -> None:
        self.app, self.value, self.unrouted = app, value.encode(), 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or dict(scope["headers"]).get(ROUTE_HEADER.encode()) == self.value:
            await self.app(scope, receive, send)
            return
        self.unrouted += 1
        await send({"type": "http.response.start", "status": 404,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(NO_ROUTE))]})
        await send({"type": "http.response.body", "body": NO_ROUTE})


@dataclass
class Routed:
    stack: ReferenceStack
    guard: RouteRequired
    base_url: str

    def header(self) -> str:
        return f"{ROUTE_HEADER}: {ROUTE_VALUE}"


@contextmanager
def routed_reference(**stack_options: Any) -> Iterator[Routed]:
    """The reference's mocks, and a reference gateway on its own port behind RouteRequired."""
    with ReferenceStack(**stack_options) as stack:
        guard = RouteRequired(create_app(stack.settings))
        server = ServerThread(guard, name="routed-gateway")
        url = server.start()
        try:
            yield Routed(stack, guard, url + BASE_PATH)
        finally:
            server.stop()
