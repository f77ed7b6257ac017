"""One skeleton for every mock provider: the app factory, admission (journal, header faults, key check), errors."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aigw_conformance.mocks.core import control, faults
from aigw_conformance.mocks.core.journal import Journal
from aigw_conformance.mocks.core.sse import EventStreamResponse, Frame, dumps

S = TypeVar("S")
A = TypeVar("A", bound=Starlette)


class NativeError(Protocol):
    """A provider's error: raised by a handler, answered by its own `response()` in the provider's shape."""

    def response(self) -> Response: ...


class MockState(Protocol):
    """What the skeleton reads of a provider's state (`app.state.mock`): the accepted key and the journal."""

    api_key: str | None
    journal: Journal


@dataclass(frozen=True)
class Plumbing:
    """What a provider fills the skeleton with: how it words each error and how it checks a key.

    `errors`: its exception types, each answered by its `response()`; `converted`: other exceptions re-shaped
    into a native one (vLLM re-words the errors of OpenAI's reused validation); `injected(status, retry_after)`:
    an injected status as a native error; `bad_fault_header`: a malformed `x-mock-*` header as its native 400;
    `check_key(request, api_key)`: raises a native error for a missing or wrong key; `unrouted(request, exc)`:
    the answer to a path or method no route takes (404, 405) or another Starlette `HTTPException`;
    `failure`: an injected failure's response (default: `injected(...)`'s); `request_id`: a header name and
    a maker, added to every response (OpenAI's `x-request-id`, Anthropic's `request-id`)."""

    errors: tuple[type[Exception], ...]
    injected: Callable[[int, int | None], Exception]
    bad_fault_header: Callable[[faults.FaultHeaderError], Exception]
    check_key: Callable[[Request, str | None], None]
    unrouted: Callable[[Request, HTTPException], Response]
    converted: Mapping[type[Exception], Callable[[Exception], NativeError]] = field(default_factory=dict)
    failure: control.ErrorBuilder | None = None
    request_id: tuple[bytes, Callable[[], bytes]] | None = None

    def failure_response(self, failure: faults.Failure) -> Response:
        if self.failure is not None:
            return self.failure(failure)
        return native(self.injected(failure.status, failure.retry_after)).response()


def native(exc: Exception) -> NativeError:
    """`exc` as the native error it is (its type has a `response()`)."""
    if not callable(getattr(exc, "response", None)):
        raise TypeError(f"{type(exc).__name__} has no response()")
    answered: NativeError = exc  # type: ignore[assignment]
    return answered


def json_response(payload: Any, status: int = 200) -> Response:
    """A JSON body as the mocks serialise it (compact, key order kept)."""
    return Response(dumps(payload), status, media_type="application/json")


def answer(
    streamed: bool, whole: Callable[[], Any], frames: Callable[[], Iterable[Frame]], plan: faults.FaultSet
) -> Response:
    """A generated answer: the JSON of `whole()`, or the event stream of `frames()` paced by the request's
    faults (latency, stall, disconnect). Only the one asked for is generated."""
    if not streamed:
        return json_response(whole())
    return EventStreamResponse(frames(), pacer=plan.before_chunk)


def state_of(request: Request, kind: type[S]) -> S:
    """The provider's state (`app.state.mock`), checked to be a `kind`."""
    state = request.app.state.mock
    if not isinstance(state, kind):
        raise TypeError(f"app.state.mock is a {type(state).__name__}, not a {kind.__name__}")
    return state


async def admit(request: Request, plumbing: Plumbing) -> faults.FaultSet:
    """Journal the request, apply its `x-mock-*` header faults (delay, injected status), then check its key;
    every refusal raised as the provider's native error. The request's fault plan is returned (its pacer)."""
    state: MockState = request.app.state.mock
    await state.journal.record(request)
    try:
        plan = faults.from_headers(request.headers)
    except faults.FaultHeaderError as exc:
        raise plumbing.bad_fault_header(exc) from None
    failure = await plan.before_headers()
    if failure is not None:
        raise plumbing.injected(failure.status, failure.retry_after)
    plumbing.check_key(request, state.api_key)
    return plan


class RequestIdMiddleware:
    """Adds a provider's request-id header (a fresh value from `make`) to every HTTP response."""

    def __init__(self, app: ASGIApp, header: bytes, make: Callable[[], bytes]) -> None:
        self.app, self.header, self.make = app, header, make

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        value = self.make()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), (self.header, value)]}
            await send(message)

        await self.app(scope, receive, send_with_id)


def _handlers(plumbing: Plumbing) -> dict[Any, Callable[[Request, Exception], Any]]:
    async def answer(request: Request, exc: Exception) -> Response:
        return native(exc).response()

    def convert(reshape: Callable[[Exception], NativeError]) -> Callable[[Request, Exception], Any]:
        async def answer_converted(request: Request, exc: Exception) -> Response:
            return reshape(exc).response()

        return answer_converted

    async def unrouted(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        await request.app.state.mock.journal.record(request)
        return plumbing.unrouted(request, exc)

    handlers: dict[Any, Callable[[Request, Exception], Any]] = {kind: answer for kind in plumbing.errors}
    handlers.update({kind: convert(reshape) for kind, reshape in plumbing.converted.items()})
    handlers[HTTPException] = unrouted
    return handlers


def create_app(
    plumbing: Plumbing, routes: Sequence[BaseRoute], state: MockState, *, app_class: type[A] = Starlette,  # type: ignore[assignment]
    direct: control.Direct | None = None,
) -> A:
    """A provider's mock: its routes, its state at `app.state.mock`, its errors answered natively, and the
    control endpoints (`/__mock__/faults`, `/__mock__/journal`, `/__mock__/reset`), journal and run-wide faults
    of `control.install` (with `direct`, the provider's shortcut for its hot endpoints, if any)."""
    app = app_class(routes=list(routes), exception_handlers=_handlers(plumbing))
    app.state.mock = state
    control.install(app, plumbing.failure_response, journal=state.journal, direct=direct)
    if plumbing.request_id is not None:
        header, make = plumbing.request_id
        app.add_middleware(RequestIdMiddleware, header=header, make=make)
    return app
