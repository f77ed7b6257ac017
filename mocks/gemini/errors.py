"""Gemini's native errors: `{"error": {code, message, status, details?}}` with google.rpc status names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from aigw_conformance.mocks.core import faults
from aigw_conformance.mocks.core.skeleton import Plumbing
from aigw_conformance.mocks.core.sse import dumps
from aigw_conformance.mocks.gemini import wire

DEFAULT_RETRY_AFTER = 1
_TYPE = "type.googleapis.com/google.rpc."
_SERVICE = "generativelanguage.googleapis.com"
_RATE_LIMITS = "https://ai.google.dev/gemini-api/docs/rate-limits"

_CANNED: dict[int, str] = {
    400: "Request contains an invalid argument.",
    401: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
         "other valid authentication credential.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    409: "The operation was aborted.",
    429: f"You exceeded your current quota, please check your plan and billing details. For more information "
         f"on this error, head to: {_RATE_LIMITS}.",
    499: "The operation was cancelled.",
    500: "An internal error has occurred. Please retry or report in "
         "https://developers.generativeai.google/guide/troubleshooting",
    501: "Operation is not implemented, or supported, or enabled.",
    503: "The model is overloaded. Please try again later.",
    504: "Deadline expired before operation could complete.",
}


class GeminiError(Exception):
    """An error answered in Gemini's shape; raise it from a handler, the app turns it into the response."""

    def __init__(
        self, code: int, message: str, *, details: Sequence[dict[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, list(details)
        self.headers = dict(headers or {})

    @property
    def status(self) -> str:
        return wire.STATUS.get(self.code, "UNKNOWN")

    def body(self) -> wire.ErrorBody:
        return wire.error_body(self.code, self.message, self.details)

    def response(self) -> Response:
        return Response(dumps(self.body()), self.code, self.headers, media_type="application/json")


def for_status(status: int, retry_after: int | None = None) -> GeminiError:
    """The canned error for `status` (injected faults). 429 carries QuotaFailure, Help and RetryInfo details;
    429 and 503 carry `Retry-After` (Google itself only sends RetryInfo; the header helps generic clients)."""
    message = _CANNED.get(status, "Request contains an invalid argument." if status < 500 else _CANNED[500])
    headers: dict[str, str] = {}
    seconds = DEFAULT_RETRY_AFTER if retry_after is None else retry_after
    if status in (429, 503) or retry_after is not None:
        headers["retry-after"] = str(seconds)
    details: list[dict[str, Any]] = []
    if status == 429:
        details = [
            {"@type": _TYPE + "QuotaFailure", "violations": [{
                "quotaMetric": f"{_SERVICE}/generate_content_requests",
                "quotaId": "GenerateRequestsPerMinutePerProjectPerModel", "quotaValue": "60"}]},
            {"@type": _TYPE + "Help", "links": [
                {"description": "Learn more about Gemini API quotas", "url": _RATE_LIMITS}]},
            {"@type": _TYPE + "RetryInfo", "retryDelay": f"{seconds}s"},
        ]
    return GeminiError(status, message, details=details, headers=headers)


def invalid_argument(message: str, *, field: str | None = None) -> GeminiError:
    """400 INVALID_ARGUMENT; with `field`, a BadRequest detail naming the offending field."""
    details = [{"@type": _TYPE + "BadRequest", "fieldViolations": [{"field": field, "description": message}]}]
    return GeminiError(400, message, details=details if field else ())


def invalid_json(description: str) -> GeminiError:
    message = f"Invalid JSON payload received. {description}"
    return GeminiError(400, message, details=[
        {"@type": _TYPE + "BadRequest", "fieldViolations": [{"description": message}]}])


def unknown_field(name: str, where: str | None = None) -> GeminiError:
    at = f" at '{where}'" if where else ""
    return invalid_json(f'Unknown name "{name}"{at}: Cannot find field.')


def missing_api_key() -> GeminiError:
    """What Google answers a request with no key at all: 403 PERMISSION_DENIED."""
    return GeminiError(403, "Method doesn't allow unregistered callers (callers without established identity). "
                            "Please use API Key or other form of API consumer identity to call this API.")


def invalid_credentials() -> GeminiError:
    """No API key but an `Authorization` header (say, an OpenAI-style bearer forwarded as is): Google takes
    it for an OAuth token and answers 401 UNAUTHENTICATED."""
    return GeminiError(401, _CANNED[401] + " See https://developers.google.com/identity/sign-in/web/devconsole-project.",
                       details=[{"@type": _TYPE + "ErrorInfo", "reason": "ACCESS_TOKEN_TYPE_UNSUPPORTED",
                                 "domain": "googleapis.com", "metadata": {"service": _SERVICE}}])


def api_key_invalid() -> GeminiError:
    """What Google answers a wrong key: 400 INVALID_ARGUMENT with ErrorInfo reason API_KEY_INVALID."""
    message = "API key not valid. Please pass a valid API key."
    return GeminiError(400, message, details=[
        {"@type": _TYPE + "ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com",
         "metadata": {"service": _SERVICE}},
        {"@type": _TYPE + "LocalizedMessage", "locale": "en-US", "message": message},
    ])


def model_not_found(model: str, version: str, method: str) -> GeminiError:
    return GeminiError(404, (
        f"models/{model} is not found for API version {version}, or is not supported for {method}. "
        "Call ListModels to see the list of available models and their supported methods."
    ))


def not_found(method: str, path: str) -> GeminiError:
    return GeminiError(404, f"The requested URL {path} was not found on this server ({method}).")


def failure_response(failure: faults.Failure) -> Response:
    """An injected failure as Google answers it (fits `mocks.core.control.install(app, failure_response)`)."""
    return for_status(failure.status, failure.retry_after).response()


def api_key(request: Request) -> str:
    """The key from `x-goog-api-key`, else from the `key` query parameter (the header wins when both are set)."""
    return (request.headers.get("x-goog-api-key") or request.query_params.get("key") or "").strip()


def check_key(request: Request, accepted: str | None) -> None:
    """None: 403 PERMISSION_DENIED, or 401 UNAUTHENTICATED when an `Authorization` header came instead; a wrong
    one: 400 INVALID_ARGUMENT API_KEY_INVALID, all as Google answers."""
    key = api_key(request)
    if not key:
        raise invalid_credentials() if request.headers.get("authorization") else missing_api_key()
    if accepted is not None and key != accepted:
        raise api_key_invalid()


def _unrouted(request: Request, exc: HTTPException) -> Response:
    """Unknown paths and wrong methods are a 404 NOT_FOUND, as Google's front end answers them."""
    if exc.status_code in (404, 405):
        return not_found(request.method, request.url.path).response()
    return for_status(exc.status_code).response()


PLUMBING = Plumbing(
    errors=(GeminiError,), injected=for_status,
    bad_fault_header=lambda exc: invalid_argument(str(exc), field=exc.header),
    check_key=check_key, unrouted=_unrouted, failure=failure_response,
)
"""The Gemini mock's fill of `mocks.core.skeleton`."""
