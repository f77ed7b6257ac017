"""The Gemini mock as a Starlette app: `create_app()` wires routes, state and Gemini-shaped errors."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from aigw_conformance.mocks.core import control
from aigw_conformance.mocks.core.served import ModelOption
from aigw_conformance.mocks.gemini import catalogue, errors
from aigw_conformance.mocks.gemini.routes import ROUTES, mock_state
from aigw_conformance.mocks.gemini.state import MockState


async def _gemini_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.GeminiError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and wrong methods are a 404 NOT_FOUND, as Google's front end answers them."""
    assert isinstance(exc, HTTPException)
    await mock_state(request).journal.record(request)
    if exc.status_code in (404, 405):
        return errors.not_found(request.method, request.url.path).response()
    return errors.for_status(exc.status_code).response()


def create_app(
    api_key: str | None = None, *, models: Iterable[str | ModelOption] | None = None, strict: bool = True,
    strict_models: bool = False,
) -> Starlette:
    """A Gemini API mock. `api_key`: the only key accepted (`x-goog-api-key` header or `?key=`; None: any
    non-empty one); `models`: the ids listed (default `catalogue.MODELS`; an id not in the catalogue is a chat
    model); any other name is served as a chat model too unless `strict_models` (then Google's 404 NOT_FOUND);
    `strict`: reject unknown request fields as Google does."""
    served = catalogue.served(models, strict=strict_models)
    app = Starlette(
        routes=ROUTES,
        exception_handlers={errors.GeminiError: _gemini_error, HTTPException: _http_error},
    )
    app.state.mock = MockState(api_key=api_key, models=served, strict=strict)
    control.install(app, errors.failure_response, journal=app.state.mock.journal)
    return app
