"""The self-hosted (vLLM-style) mock as a Starlette app: OpenAI's formats and generation, vLLM's errors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from aigw_conformance.mocks.core import control, faults
from aigw_conformance.mocks.core.served import ModelOption
from aigw_conformance.mocks.openai.errors import OpenAIError
from aigw_conformance.mocks.selfhosted import catalogue, errors
from aigw_conformance.mocks.selfhosted.routes import ROUTES, mock_state
from aigw_conformance.mocks.selfhosted.state import MockState


def failure_response(failure: faults.Failure) -> Response:
    """An injected failure (control rules or `x-mock-status`) in vLLM's error shape."""
    return errors.for_status(failure.status, failure.retry_after).response()


async def _vllm_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.VllmError)
    return exc.response()


async def _openai_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OpenAIError)
    return errors.from_openai(exc).response()


async def _unauthorized(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.Unauthorized)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    await mock_state(request).journal.record(request)
    if exc.status_code in (404, 405):
        return errors.detail(exc.status_code)
    return errors.VllmError(exc.status_code, exc.detail).response()


def create_app(
    api_key: str | None = None,
    *,
    models: Iterable[str | ModelOption] | None = None,
    owned_by: Literal["vllm", "maintainer"] = "vllm",
    strict_models: bool = False,
) -> Starlette:
    """A vLLM-style server. `api_key`: the bearer token required (None: no authentication, as vLLM without
    `--api-key`); `models`: the ids listed (default: all of `catalogue.MODELS`); any other name is served too
    (`catalogue.unlisted`) unless `strict_models` (then vLLM's 404); `owned_by`: what `/v1/models` reports,
    "vllm" (what vLLM says) or each model's maintainer (what the documents say)."""
    served = catalogue.served(models, strict=strict_models)
    app = Starlette(
        routes=ROUTES,
        exception_handlers={
            errors.VllmError: _vllm_error, OpenAIError: _openai_error, errors.Unauthorized: _unauthorized,
            HTTPException: _http_error,
        },
    )
    app.state.mock = MockState(api_key=api_key, models=served, owned_by=owned_by)
    control.install(app, failure_response, journal=app.state.mock.journal)
    return app
