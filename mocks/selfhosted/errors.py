"""vLLM's native errors: `{"object": "error", message, type, param, code: <status>}`, FastAPI's `detail`s."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from aigw_conformance.mocks.core.skeleton import NativeError, Plumbing
from aigw_conformance.mocks.core.sse import dumps
from aigw_conformance.mocks.openai.errors import DEFAULT_RETRY_AFTER, OpenAIError
from aigw_conformance.mocks.selfhosted import wire

_TYPES = {400: "BadRequestError", 404: "NotFoundError", 500: "InternalServerError"}


def error_type(status: int) -> str:
    """vLLM's `type` for a status: its names for 400/404/500, else the reason phrase (`TooManyRequestsError`)."""
    if status in _TYPES:
        return _TYPES[status]
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Bad Request" if status < 500 else "Internal Server"
    return phrase.title().replace(" ", "").replace("-", "") + "Error"


class VllmError(Exception):
    """Raise it from a handler; the app turns it into vLLM's error response."""

    def __init__(
        self, status: int, message: str, *, param: str | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.param = status, message, param
        self.headers = dict(headers or {})

    def response(self) -> Response:
        body = wire.error(self.message, error_type(self.status), self.status, self.param)
        return Response(dumps(body), self.status, self.headers, media_type="application/json")


def bad_request(message: str, param: str | None = None) -> VllmError:
    return VllmError(400, message, param=param)


def from_openai(exc: OpenAIError) -> VllmError:
    """An error raised by the reused OpenAI validation, re-shaped as vLLM answers it (same message)."""
    return VllmError(exc.status, exc.message, param=exc.param, headers=exc.headers)


def model_not_found(model: str) -> VllmError:
    return VllmError(404, f"The model `{model}` does not exist.", param="model")


def unsupported_api(api: str) -> VllmError:
    return bad_request(f"The model does not support {api} API", param="model")


def for_status(status: int, retry_after: int | None = None) -> VllmError:
    """An injected fault; 429 and 503 carry `Retry-After`."""
    try:
        message = HTTPStatus(status).phrase
    except ValueError:
        message = "Error"
    headers: dict[str, str] = {}
    if status in (429, 503) or retry_after is not None:
        headers["retry-after"] = str(DEFAULT_RETRY_AFTER if retry_after is None else retry_after)
    return VllmError(status, message, headers=headers)


class Unauthorized(Exception):
    """A missing or wrong bearer token while an API key is set."""

    def response(self) -> Response:
        """vLLM's `--api-key` middleware answer (not an ErrorResponse)."""
        return JSONResponse({"error": "Unauthorized"}, 401)


def detail(status: int) -> Response:
    """FastAPI's answer for an unknown route (404) or method (405)."""
    return JSONResponse({"detail": HTTPStatus(status).phrase}, status)


def check_key(request: Request, api_key: str | None) -> None:
    """Only when the server has a key, as vLLM with `--api-key`: exactly `Bearer <key>`."""
    if api_key is not None and request.headers.get("authorization") != f"Bearer {api_key}":
        raise Unauthorized()


def _unrouted(request: Request, exc: HTTPException) -> Response:
    if exc.status_code in (404, 405):
        return detail(exc.status_code)
    return VllmError(exc.status_code, exc.detail).response()


def _from_openai(exc: Exception) -> NativeError:
    assert isinstance(exc, OpenAIError)
    return from_openai(exc)


PLUMBING = Plumbing(
    errors=(VllmError, Unauthorized), injected=for_status,
    bad_fault_header=lambda exc: bad_request(str(exc), param=exc.header),
    check_key=check_key, unrouted=_unrouted, converted={OpenAIError: _from_openai},
)
"""The self-hosted mock's fill of `mocks.core.skeleton` (OpenAI's reused validation errors re-worded)."""
