"""OpenAI's native error responses: `{"error": {message, type, param, code}}` with OpenAI's statuses."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response

from aigw_conformance.mocks.core.sse import dumps
from aigw_conformance.mocks.openai import wire

DEFAULT_RETRY_AFTER = 1

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
