"""The Anthropic mock as a Starlette app: `create_app()` wires routes, state and Anthropic-shaped errors."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aigw_conformance.mocks.anthropic import errors, state
from aigw_conformance.mocks.anthropic.routes import ROUTES, mock_state
from aigw_conformance.mocks.anthropic.state import MockState, ModelSpec
from aigw_conformance.mocks.anthropic.validation import base62
from aigw_conformance.mocks.core import control
from aigw_conformance.mocks.core.served import ModelOption


class RequestIdMiddleware:
    """Adds Anthropic's `request-id: req_011<base62>` to every response (random: headers are not deterministic)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = f"req_011{base62(uuid.uuid4().bytes, 21)}".encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"request-id", request_id)]}
            await send(message)

        await self.app(scope, receive, send_with_id)


async def _anthropic_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.AnthropicError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    await mock_state(request).journal.record(request)
    if exc.status_code == 404:
        return errors.not_found().response()
    if exc.status_code == 405:
        return errors.method_not_allowed().response()
    return errors.for_status(exc.status_code).response()


def create_app(
    api_key: str | None = None, *, models: Iterable[str | ModelOption | ModelSpec] | None = None,
    strict: bool = True, strict_models: bool = False,
) -> Starlette:
    """An Anthropic Messages mock. `api_key`: the only `x-api-key` accepted (None: any non-empty one);
    `models`: the models listed, as ids (a catalogue id keeps its listing), `ModelOption`s or `ModelSpec`s
    (default `MODELS`); any other model name is served with `DEFAULT_MAX_OUTPUT` unless `strict_models` (then a
    404 `not_found_error`); `strict`: reject unknown request parameters (`<name>: Extra inputs are not
    permitted`) as Anthropic does."""
    served = state.served(models, strict=strict_models)
    app = Starlette(
        routes=ROUTES,
        exception_handlers={errors.AnthropicError: _anthropic_error, HTTPException: _http_error},
    )
    app.state.mock = MockState(api_key=api_key, models=served, strict=strict)
    control.install(app, errors.failure_response, journal=app.state.mock.journal)
    app.add_middleware(RequestIdMiddleware)
    return app
