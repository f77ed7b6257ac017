"""The OpenAI mock as a Starlette app: `create_app()` wires routes, state, control endpoints and OpenAI errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aigw_conformance.mocks.core import control, faults
from aigw_conformance.mocks.core.served import ModelOption
from aigw_conformance.mocks.openai import catalogue, errors
from aigw_conformance.mocks.openai.direct import Direct, request_id
from aigw_conformance.mocks.openai.routes import ROUTES, mock_state
from aigw_conformance.mocks.openai.state import MockState

MODELS: Mapping[str, int] = {model: spec.created for model, spec in catalogue.MODELS.items()}
"""Model id -> `created` of the models the mock lists by default (`catalogue.MODELS` has their limits)."""


class RequestIdMiddleware:
    """Adds OpenAI's `x-request-id: req_<hex>` to every response (random: headers are not deterministic)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", request_id())]
            await send(message)

        await self.app(scope, receive, send_with_id)


RATE_LIMIT_REQUESTS = 500
RATE_LIMIT_TOKENS = 30_000


def failure_response(failure: faults.Failure) -> Response:
    """An injected failure in OpenAI's shape; a 429 also carries OpenAI's `x-ratelimit-*` headers, spent."""
    response = errors.for_status(failure.status, failure.retry_after).response()
    if failure.status == 429:
        reset = f"{errors.DEFAULT_RETRY_AFTER if failure.retry_after is None else failure.retry_after}s"
        response.headers.update({
            "x-ratelimit-limit-requests": str(RATE_LIMIT_REQUESTS), "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": reset, "x-ratelimit-limit-tokens": str(RATE_LIMIT_TOKENS),
            "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": reset,
        })
    return response


async def _openai_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.OpenAIError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    await mock_state(request).journal.record(request)
    if exc.status_code == 405:
        return errors.method_not_allowed(request.method, request.url.path).response()
    if exc.status_code == 404:
        return errors.invalid_url(request.method, request.url.path).response()
    return errors.for_status(exc.status_code).response()


class OpenAIMock(Starlette):
    """The mock's Starlette app with `Direct.front` before its middleware: a request whose answer is
    memoised and that no fault, key or setting change can alter is answered without Starlette."""

    direct: Direct | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.direct is None or scope["type"] != "http":
            await super().__call__(scope, receive, send)
        else:
            await self.direct.front(scope, receive, send, super().__call__)


def create_app(
    api_key: str | None = None,
    *,
    models: Iterable[str | ModelOption] | Mapping[str, int] | None = None,
    strict: bool = True,
    expose_reasoning: bool = False,
    strict_models: bool = False,
    reasoning_limits: bool = True,
) -> OpenAIMock:
    """An OpenAI mock. `api_key`: the only bearer token accepted (None: any non-empty one); `models`: the
    ids listed (default `catalogue.MODELS`; any other name is served too, with `catalogue`'s default limits,
    unless `strict_models`: then it is a 404 `model_not_found`); `strict`: reject unknown request parameters as
    OpenAI does; `expose_reasoning`: return the reasoning text in `message.reasoning`, as a vLLM-style server
    does; `reasoning_limits`: OpenAI's reasoning models refuse `stop`, `logprobs`, `top_p`, `temperature` != 1."""
    served = catalogue.served(models, strict=strict_models)
    app = OpenAIMock(
        routes=ROUTES,
        exception_handlers={errors.OpenAIError: _openai_error, HTTPException: _http_error},
    )
    app.state.mock = MockState(api_key=api_key, models=served, strict=strict, expose_reasoning=expose_reasoning,
                               reasoning_limits=reasoning_limits)
    direct = Direct(app.state.mock)
    direct.rules = control.install(app, failure_response, journal=app.state.mock.journal, direct=direct).rules
    app.add_middleware(RequestIdMiddleware)
    app.direct = direct
    return app
