"""OpenAI's native error responses: `{"error": {message, type, param, code}}` with OpenAI's statuses."""

from __future__ import annotations

import random
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from aigw_conformance.mocks.core import faults
from aigw_conformance.mocks.core.skeleton import Plumbing
from aigw_conformance.mocks.core.sse import dumps
from aigw_conformance.mocks.openai import wire

DEFAULT_RETRY_AFTER = 1
RATE_LIMIT_REQUESTS = 500
RATE_LIMIT_TOKENS = 30_000
_UUID4_KEEP = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)

# status -> (type, code, message) for injected or otherwise canned errors, worded as OpenAI words them
_CANNED: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("invalid_request_error", "unsupported_country_region_territory",
          "Country, region, or territory not supported"),
    404: ("invalid_request_error", None, "The requested resource was not found."),
    408: ("timeout", None, "Request timed out."),
    409: ("invalid_request_error", "conflict", "The request conflicts with the current state."),
    422: ("invalid_request_error", None, "The request could not be processed."),
    429: ("requests", "rate_limit_exceeded",
          "Rate limit reached for requests per min (RPM). Please try again in 1s."),
    500: ("server_error", None, "The server had an error while processing your request. Sorry about that!"),
    502: ("server_error", None, "Bad gateway."),
    503: ("server_error", None, "The server is overloaded or not ready yet."),
    504: ("server_error", None, "Gateway timeout."),
}


class OpenAIError(Exception):
    """An error answered in OpenAI's shape; raise it from a handler, the app turns it into the response."""

    def __init__(
        self, status: int, message: str, type: str = "invalid_request_error", *, code: str | None = None,
        param: str | None = None, headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = status, message, type, code, param
        self.headers = dict(headers or {})

    def body(self) -> wire.ErrorBody:
        return wire.error_body(self.message, self.type, self.code, self.param)

    def response(self) -> Response:
        return Response(dumps(self.body()), self.status, self.headers, media_type="application/json")


def for_status(status: int, retry_after: int | None = None) -> OpenAIError:
    """The canned OpenAI error for `status` (injected faults); 429 and 503 carry `Retry-After`."""
    type_, code, message = _CANNED.get(
        status, ("invalid_request_error", None, "Invalid request.") if status < 500
        else ("server_error", None, "The server had an error while processing your request.")
    )
    headers: dict[str, str] = {}
    if status in (429, 503) or retry_after is not None:
        headers["retry-after"] = str(DEFAULT_RETRY_AFTER if retry_after is None else retry_after)
    return OpenAIError(status, message, type_, code=code, headers=headers)


def invalid_request(message: str, *, param: str | None = None, code: str | None = None) -> OpenAIError:
    return OpenAIError(400, message, param=param, code=code)


def missing_api_key() -> OpenAIError:
    return OpenAIError(401, (
        "You didn't provide an API key. You need to provide your API key in an Authorization header "
        "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank "
        "username) if you're accessing the API from your browser and are prompted for a username. You "
        "can obtain an API key from https://platform.openai.com/account/api-keys."
    ))


def invalid_api_key(key: str) -> OpenAIError:
    shown = key if len(key) <= 8 else f"{key[:3]}{'*' * 12}{key[-4:]}"
    return OpenAIError(
        401, f"Incorrect API key provided: {shown}. You can find your API key at "
        "https://platform.openai.com/account/api-keys.", code="invalid_api_key",
    )


def model_not_found(model: str) -> OpenAIError:
    return OpenAIError(
        404, f"The model `{model}` does not exist or you do not have access to it.", code="model_not_found"
    )


def invalid_url(method: str, path: str) -> OpenAIError:
    return OpenAIError(404, f"Invalid URL ({method} {path})")


def method_not_allowed(method: str, path: str) -> OpenAIError:
    return OpenAIError(405, f"Method {method} is not allowed for {path}.", code="method_not_allowed")


def invalid_json() -> OpenAIError:
    return invalid_request(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
        "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not "
        "valid JSON.)"
    )


def check_key(authorization: str, api_key: str | None) -> None:
    """A bearer token is required (`api_key` None: any non-empty one, else exactly it)."""
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise missing_api_key()
    if api_key is not None and token != api_key:
        raise invalid_api_key(token)


def request_id() -> bytes:
    """`req_` + the 32 hex digits of a random version-4 UUID, as OpenAI's ids look (not a secret: drawn
    from `random`, ten times cheaper than `uuid.uuid4()`)."""
    return b"req_%032x" % (random.getrandbits(128) & _UUID4_KEEP | _UUID4_SET)


def failure_response(failure: faults.Failure) -> Response:
    """An injected failure in OpenAI's shape; a 429 also carries OpenAI's `x-ratelimit-*` headers, spent."""
    response = for_status(failure.status, failure.retry_after).response()
    if failure.status == 429:
        reset = f"{DEFAULT_RETRY_AFTER if failure.retry_after is None else failure.retry_after}s"
        response.headers.update({
            "x-ratelimit-limit-requests": str(RATE_LIMIT_REQUESTS), "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": reset, "x-ratelimit-limit-tokens": str(RATE_LIMIT_TOKENS),
            "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": reset,
        })
    return response


def _unrouted(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 405:
        return method_not_allowed(request.method, request.url.path).response()
    if exc.status_code == 404:
        return invalid_url(request.method, request.url.path).response()
    return for_status(exc.status_code).response()


PLUMBING = Plumbing(
    errors=(OpenAIError,), injected=for_status,
    bad_fault_header=lambda exc: invalid_request(str(exc), param=exc.header),
    check_key=lambda request, api_key: check_key(request.headers.get("authorization", ""), api_key),
    unrouted=_unrouted, failure=failure_response, request_id=(b"x-request-id", request_id),
)
"""The OpenAI mock's fill of `mocks.core.skeleton`."""
