"""Anthropic's native error responses: `{"type": "error", "error": {type, message}}` with Anthropic's statuses."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from aigw_conformance.mocks.anthropic import wire
from aigw_conformance.mocks.core import faults
from aigw_conformance.mocks.core.skeleton import Plumbing
from aigw_conformance.mocks.core.sse import dumps

DEFAULT_RETRY_AFTER = 1
RATE_LIMIT_REQUESTS = 50
RATE_LIMIT_TOKENS = 40_000

# status -> (error type, message) for injected or otherwise canned errors, as Anthropic documents them
CANNED: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "There was an issue with the format or content of your request."),
    401: ("authentication_error", "invalid x-api-key"),
    402: ("billing_error", "Your credit balance is too low to access the Anthropic API."),
    403: ("permission_error", "Your API key does not have permission to use the specified resource."),
    404: ("not_found_error", "The requested resource could not be found."),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "This request would exceed the rate limit for your organization of "
          f"{RATE_LIMIT_REQUESTS} requests per minute. Please retry after the time in the retry-after header."),
    500: ("api_error", "Internal server error"),
    504: ("timeout_error", "Request timed out."),
    529: ("overloaded_error", "Overloaded"),
}


class AnthropicError(Exception):
    """An error answered in Anthropic's shape; raise it from a handler, the app turns it into the response."""

    def __init__(self, status: int, type: str, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.type, self.message = status, type, message
        self.headers = dict(headers or {})

    def body(self) -> wire.ErrorBody:
        return wire.error_body(self.type, self.message)

    def response(self) -> Response:
        return Response(dumps(self.body()), self.status, self.headers, media_type="application/json")


def _rfc3339(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rate_limit_headers(retry_after: int) -> dict[str, str]:
    """`retry-after` and the `anthropic-ratelimit-*` headers of an exhausted request limit."""
    reset = _rfc3339(time.time() + retry_after)
    return {
        "retry-after": str(retry_after),
        "anthropic-ratelimit-requests-limit": str(RATE_LIMIT_REQUESTS),
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": reset,
        "anthropic-ratelimit-tokens-limit": str(RATE_LIMIT_TOKENS),
        "anthropic-ratelimit-tokens-remaining": str(RATE_LIMIT_TOKENS),
        "anthropic-ratelimit-tokens-reset": reset,
    }


def for_status(status: int, retry_after: int | None = None) -> AnthropicError:
    """The canned Anthropic error for `status` (injected faults): other 4xx are `invalid_request_error`, other
    5xx `api_error`; 429 carries `retry-after` and the rate-limit headers, any status `retry-after` if given."""
    type_, message = CANNED.get(status) or (
        ("invalid_request_error", "Invalid request.") if status < 500 else ("api_error", "Internal server error")
    )
    headers: dict[str, str] = {}
    if status == 429:
        headers = rate_limit_headers(DEFAULT_RETRY_AFTER if retry_after is None else retry_after)
    elif retry_after is not None:
        headers["retry-after"] = str(retry_after)
    return AnthropicError(status, type_, message, headers=headers)


def failure_response(failure: faults.Failure) -> Response:
    """An injected failure as Anthropic answers it (fits `mocks.core.control.install(app, failure_response)`)."""
    return for_status(failure.status, failure.retry_after).response()


def invalid_request(message: str) -> AnthropicError:
    return AnthropicError(400, "invalid_request_error", message)


def missing_api_key() -> AnthropicError:
    return AnthropicError(401, "authentication_error", "x-api-key header is required")


def invalid_api_key() -> AnthropicError:
    return AnthropicError(401, "authentication_error", "invalid x-api-key")


def model_not_found(model: str) -> AnthropicError:
    return AnthropicError(404, "not_found_error", f"model: {model}")


def not_found() -> AnthropicError:
    return AnthropicError(404, "not_found_error", "Not Found")


def method_not_allowed() -> AnthropicError:
    return AnthropicError(405, "invalid_request_error", "Method Not Allowed")


def request_too_large(limit: int) -> AnthropicError:
    return AnthropicError(413, "request_too_large", f"Request exceeds the maximum allowed number of bytes ({limit}).")


def invalid_json() -> AnthropicError:
    return invalid_request("There was an error parsing the body of your request: it is not valid JSON.")


def check_key(request: Request, api_key: str | None) -> None:
    """`x-api-key`, or else an `Authorization: Bearer` token (how the anthropic SDK 2.x sends `api_key`)."""
    key = request.headers.get("x-api-key", "").strip()
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    key = key or (token.strip() if scheme.lower() == "bearer" else "")
    if not key:
        raise missing_api_key()
    if api_key is not None and key != api_key:
        raise invalid_api_key()


def request_id() -> bytes:
    """Anthropic's `request-id: req_011<base62>` (random: headers are not deterministic)."""
    return f"req_011{wire.base62(uuid.uuid4().bytes, 21)}".encode()


def _unrouted(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 404:
        return not_found().response()
    if exc.status_code == 405:
        return method_not_allowed().response()
    return for_status(exc.status_code).response()


PLUMBING = Plumbing(
    errors=(AnthropicError,), injected=for_status,
    bad_fault_header=lambda exc: invalid_request(f"{exc.header}: {exc}"),
    check_key=check_key, unrouted=_unrouted, failure=failure_response, request_id=(b"request-id", request_id),
)
"""The Anthropic mock's fill of `mocks.core.skeleton`."""
