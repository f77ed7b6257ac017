"""Request IDs: the client's `request_id` (body, else `X-Request-Id` header) echoed, else a fresh `req_<hex>`."""

from __future__ import annotations

import re
import string
import uuid
from typing import Any
from urllib.parse import quote

from starlette.datastructures import Headers
from starlette.responses import Response

from aigw_conformance.mocks.reference.settings import GatewaySettings

HEADER = "x-request-id"
# A header value must be visible ASCII, with spaces only inside; anything else is percent-encoded there.
_HEADER_SAFE = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")
_QUOTE_SAFE = "".join(sorted(set(string.punctuation) - {"%"}))


def generate() -> str:
    return "req_" + uuid.uuid4().hex


_STARTUP_ID = generate()  # the defect client-request-id-fixed: one ID made at import, handed to every request


def resolve(body: Any, headers: Headers, settings: GatewaySettings) -> str:
    """The request's ID: a non-empty string `request_id` in the body wins, then the request's `X-Request-Id`."""
    given = body.get("request_id") if isinstance(body, dict) else None
    if not isinstance(given, str) or not given:
        given = headers.get(HEADER)
    if given:
        return given
    return _STARTUP_ID if settings.has("client-request-id-fixed") else generate()


def header_value(request_id: str) -> str:
    """`request_id` as it can travel in a header: unchanged when safe, else percent-encoded (UTF-8)."""
    if _HEADER_SAFE.fullmatch(request_id):
        return request_id
    return quote(request_id, safe=_QUOTE_SAFE)


def stamp(response: Response, request_id: str, settings: GatewaySettings) -> Response:
    """Add `X-Request-Id` to any response (JSON, SSE or error) unless the defect drops it."""
    if not settings.has("client-no-x-request-id"):
        shown = generate() if settings.has("client-request-id-mismatch") else request_id
        response.headers[HEADER] = header_value(shown)
    return response
