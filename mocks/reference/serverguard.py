"""The reference's connection limits (mocks/core/guard.py), their refusals worded in the gateway's error contract."""

from __future__ import annotations

import dataclasses

from starlette.responses import Response

from aigw_conformance.mocks.core.serverlimits import Render, ServerLimits
from aigw_conformance.mocks.reference.client import CLIENT_BASE_PATH, errors, requestid
from aigw_conformance.mocks.reference.errors import GatewayError, error_response
from aigw_conformance.mocks.reference.settings import GatewaySettings


def _parts(response: Response) -> tuple[list[tuple[str, str]], bytes]:
    headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in response.raw_headers
               if name != b"content-length"]
    return headers, bytes(response.body)


def render_refusal(settings: GatewaySettings) -> Render:
    """Refusals as the API the request was for answers errors: the client gateway's (002: `request_id`,
    `X-Request-Id`) under /api/client/v1, else the AI API's (`x-error`, `x-error-id`); a refusal before the
    request line was read carries both, since it could be for either."""

    def render(status: int, message: str, code: str, path: str | None) -> tuple[list[tuple[str, str]], bytes]:
        client = path is not None and (path + "/").startswith(CLIENT_BASE_PATH + "/")
        request_id = requestid.generate()
        if client:
            error = errors.ClientError(status, message, "api_error" if status >= 500 else "invalid_request_error",
                                       code=code)
            response = requestid.stamp(errors.error_response(error, request_id), request_id, settings)
            return _parts(response)
        headers, body = _parts(error_response(GatewayError(status, message, code=code), settings))
        if path is None:
            body = body[:-1] + f', "request_id": "{request_id}"}}'.encode() if body.endswith(b"}") else body
            headers.append((requestid.HEADER, request_id))
        return headers, body

    return render


def reference_limits(settings: GatewaySettings, limits: ServerLimits | None = None) -> ServerLimits:
    """`limits` (default: `ServerLimits()`'s) with the reference's refusals."""
    return dataclasses.replace(limits or ServerLimits(), render=render_refusal(settings))
