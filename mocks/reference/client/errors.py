"""The client gateway's error bodies: the OpenAI envelope, 002's guardrail body, always with `request_id`."""

from __future__ import annotations

import math
from typing import Any

from starlette.responses import JSONResponse, Response

from aigw_conformance.mocks.reference.errors import GatewayError
from aigw_conformance.mocks.reference.settings import GatewaySettings

GUARDRAIL_KEY = "pii-checker"
PROVIDER_FAILURE_STATUS = 502  # 002 lists no status for a failing provider whose breaker is still closed
CHALLENGE = {"www-authenticate": 'Bearer realm="aigw-client"'}


class ClientError(Exception):
    """Raised anywhere in a client gateway request; `error_response` turns it into the JSON error."""

    def __init__(
        self, status: int, message: str, error_type: str, *, code: str | None = None, param: str | None = None,
        headers: dict[str, str] | None = None, guardrail: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.error_type = status, message, error_type
        self.code, self.param = code, param
        self.headers = headers or {}
        self.guardrail = guardrail  # guardrail_key, action, findings: 002's guardrail body instead of param/code

    def body(self, request_id: str) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.error_type}
        if self.guardrail is not None:
            error.update(self.guardrail)
        else:
            error.update(param=self.param, code=self.code)
        return {"error": error, "request_id": request_id}


def error_response(error: ClientError, request_id: str) -> Response:
    return JSONResponse(error.body(request_id), error.status, headers=error.headers)


def retry_after(seconds: float) -> str:
    """A `Retry-After` value: whole seconds, rounded up, at least 1."""
    return str(max(1, math.ceil(seconds)))


def invalid_request(message: str, *, param: str | None = None, code: str = "invalid_request") -> ClientError:
    return ClientError(400, message, "invalid_request_error", code=code, param=param)


def unauthorized(code: str) -> ClientError:
    return ClientError(401, "Invalid API token", "authentication_error", code=code, headers=CHALLENGE)


def model_not_found(key: str) -> ClientError:
    return ClientError(404, f"Model not found: {key!r}", "not_found_error", code="model_not_found", param="model")


def not_an_llm(key: str, category: str) -> ClientError:
    message = f"Model is not an LLM (wrong category): {key!r} is a {category} model"
    return ClientError(422, message, "invalid_request_error", code="model_not_llm", param="model")


def too_many(kind: str, message: str, wait_s: float, settings: GatewaySettings) -> ClientError:
    """429 of `kind` rate_limit_exceeded or quota_exceeded, with `Retry-After` (unless the defect drops it)."""
    headers = {} if settings.has("client-429-no-retry-after") else {"retry-after": retry_after(wait_s)}
    return ClientError(429, message, kind, code=kind, headers=headers)


def circuit_open(provider: str, wait_s: float) -> ClientError:
    message = f"Provider circuit breaker open: {provider} is failing; retry in {retry_after(wait_s)} s"
    return ClientError(503, message, "circuit_open", code="circuit_open", headers={"retry-after": retry_after(wait_s)})


def guardrail_block(categories: list[str]) -> ClientError:
    findings = [{"category": category, "message": "PII detected"} for category in categories]
    guardrail = {"guardrail_key": GUARDRAIL_KEY, "action": "block", "findings": findings}
    return ClientError(400, "Content blocked by guardrail", "guardrail_block", guardrail=guardrail)


def internal() -> ClientError:
    return ClientError(500, "internal server error", "api_error", code="internal_error")


def from_gateway(error: GatewayError, settings: GatewaySettings | None = None) -> ClientError:
    """An error of the shared AI API code (body reading, validation, the upstream call) in the client's shape; a
    provider's 429 is 002's "429 | Rate limit or quota exceeded", with the provider's `Retry-After`."""
    relayed = settings is None or not settings.has("client-upstream-429-as-502")
    if error.code == "provider_error" and error.upstream_status == 429 and relayed:
        headers = {"retry-after": error.retry_after} if error.retry_after else {}
        return ClientError(429, error.message, "rate_limit_exceeded", code="upstream_rate_limited", headers=headers)
    if error.code == "provider_error":
        return ClientError(PROVIDER_FAILURE_STATUS, error.message, "provider_error", code="provider_error")
    if error.status >= 500:
        return ClientError(500, error.message, "api_error", code=error.code)
    if error.status == 404:
        return ClientError(404, f"Model not found: {error.message}", "not_found_error", code="model_not_found",
                           param=error.param)
    return ClientError(error.status, error.message, "invalid_request_error", code=error.code, param=error.param)
