"""Authentication: `Authorization: Bearer <token>` or the `api-key` + `api-secret` pair (000, 001)."""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers

from mocks.reference.errors import GatewayError
from mocks.reference.settings import GatewaySettings

CHALLENGE = {"www-authenticate": 'Bearer realm="aigw"'}


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _bearer_ok(authorization: str, settings: GatewaySettings) -> bool:
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return False
    return settings.has("any-bearer-accepted") or _same(token, settings.token)


def _key_ok(key: str | None, secret: str | None, settings: GatewaySettings) -> bool:
    if not key or not _same(key, settings.api_key):
        return False
    if secret is None and settings.has("key-without-secret-accepted"):
        return True
    return secret is not None and _same(secret, settings.api_secret)


def authenticate(headers: Headers, settings: GatewaySettings) -> None:
    """Return if either scheme presented is valid; otherwise raise a 401 saying what was wrong."""
    authorization = headers.get("authorization")
    key, secret = headers.get("api-key"), headers.get("api-secret")
    if authorization is not None and _bearer_ok(authorization, settings):
        return
    if (key is not None or secret is not None) and _key_ok(key, secret, settings):
        return
    if authorization is None and key is None and secret is None:
        message = "missing authentication: send Authorization: Bearer <token>, or api-key and api-secret"
        raise GatewayError(401, message, code="missing_credentials", headers=CHALLENGE)
    if key is not None and secret is None:
        message = "api-key requires api-secret"
    elif secret is not None and key is None:
        message = "api-secret requires api-key"
    elif key is not None:
        message = "invalid api-key or api-secret"
    elif not authorization or authorization.split(" ")[0].lower() != "bearer":
        message = "unsupported Authorization scheme; use Bearer"
    else:
        message = "invalid bearer token"
    raise GatewayError(401, message, code="invalid_credentials", headers=CHALLENGE)
