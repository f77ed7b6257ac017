"""The gateway's error contract: one JSON envelope plus `x-error`/`x-error-id` headers on every error."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from aigw_conformance.mocks.reference.settings import GatewaySettings

log = logging.getLogger(__name__)

# status → (type, default code); 000/001 document 400, 401, 403, 404 and 500.
ERROR_TYPES: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "invalid_request"),
    401: ("authentication_error", "unauthorized"),
    403: ("permission_error", "forbidden"),
    404: ("not_found_error", "not_found"),
    405: ("invalid_request_error", "method_not_allowed"),
    413: ("invalid_request_error", "request_too_large"),
    415: ("invalid_request_error", "unsupported_media_type"),
    500: ("api_error", "internal_error"),
}

# Upstream (provider) status → gateway status. 001: "500 Internal Server Error: Provider error, AI service
# unavailable"; an upstream 400 is the caller's mistake the gateway did not catch, so it stays a 400.
UPSTREAM_STATUS: dict[int, int] = {400: 400, 422: 400}
PROVIDER_ERROR_STATUS = 500


class GatewayError(Exception):
    """Raised anywhere in a request; the handler turns it into the documented error response."""

    def __init__(
        self, status: int, message: str, *, code: str | None = None, param: str | None = None,
        error_type: str | None = None, headers: dict[str, str] | None = None, upstream_status: int | None = None,
        retry_after: str | None = None,
    ) -> None:
        super().__init__(message)
        kind, default_code = ERROR_TYPES.get(status, ERROR_TYPES[500 if status >= 500 else 400])
        self.status = status
        self.message = message
        self.code = code if code is not None else default_code
        self.param = param
        self.error_type = error_type or kind
        self.headers = headers or {}
        # A provider's answer: its status and `Retry-After`, for the client gateway, whose 002 documents 429.
        self.upstream_status, self.retry_after = upstream_status, retry_after


def provider_error(provider: str, message: str, upstream_status: int | None = None,
                   retry_after: str | None = None) -> GatewayError:
    """A failure of the upstream provider, mapped onto a documented gateway status (the AI API documents no 429:
    a provider's rate limit is 000/001's "500 ... Provider error"); `retry_after` is the provider's header, passed
    on with the 500 so a caller backs off as long as the provider asked (the OpenAI SDK honours it on any status)."""
    status = UPSTREAM_STATUS.get(upstream_status or 0, PROVIDER_ERROR_STATUS)
    where = f"{provider} returned {upstream_status}" if upstream_status else f"{provider} unreachable"
    if status == PROVIDER_ERROR_STATUS:
        headers = {"retry-after": retry_after} if retry_after and retry_after.strip().isdigit() else None
        return GatewayError(status, f"provider error: {where}: {message}", code="provider_error",
                            error_type="provider_error", headers=headers, upstream_status=upstream_status,
                            retry_after=retry_after)
    return GatewayError(status, f"{where}: {message}", code="upstream_rejected")


def envelope(error: GatewayError, settings: GatewaySettings) -> dict[str, Any]:
    """The JSON error body (also used for in-stream error events)."""
    if settings.has("error-envelope-flat"):
        return {"message": error.message, "code": error.code}
    return {"error": {"message": error.message, "type": error.error_type, "param": error.param,
                      "code": error.code}}


def error_response(error: GatewayError, settings: GatewaySettings) -> Response:
    headers = dict(error.headers)
    if not settings.has("no-x-error"):
        headers["x-error"] = _header_safe(error.message)
    if not settings.has("no-x-error-id"):
        headers["x-error-id"] = "err_" + uuid.uuid4().hex
    status = 200 if settings.has("error-status-200") else error.status
    if settings.has("plain-text-errors"):
        return Response(error.message, status, headers, media_type="text/plain")
    body = json.dumps(envelope(error, settings))
    return Response(body, status, headers, media_type="application/json")


def _header_safe(message: str) -> str:
    """One line of printable ASCII (non-ASCII escaped as \\uXXXX, control characters as \\xNN), so every HTTP
    client can read it and no server refuses to send it (a request path may carry any of them)."""
    text = " ".join(message.split()).encode("ascii", errors="backslashreplace").decode("ascii")
    return "".join(char if char.isprintable() else f"\\x{ord(char):02x}" for char in text)[:500]


def install_handlers(settings: GatewaySettings) -> dict[Any, Any]:
    """Starlette exception handlers: gateway errors, HTTP errors (404, 405, ...), anything else (500)."""

    async def on_gateway_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, GatewayError)
        return error_response(exc, settings)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        where = f"{request.method} {request.url.path}"
        messages = {404: f"no route for {where}", 405: f"method not allowed: {where}"}
        message = messages.get(exc.status_code, exc.detail)
        error = GatewayError(exc.status_code, message, headers=dict(exc.headers or {}))
        return error_response(error, settings)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(GatewayError(500, "internal server error"), settings)

    return {GatewayError: on_gateway_error, HTTPException: on_http_error, Exception: on_unexpected}
