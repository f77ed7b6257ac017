"""Authentication: `Authorization: Bearer <token>` or the `api-key` + `api-secret` pair (000, 001), and its tenant."""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers

from mocks.reference.errors import GatewayError
from mocks.reference.settings import GatewaySettings
from mocks.reference.store.tenancy import bearer_tenant, key_credentials

CHALLENGE = {"www-authenticate": 'Bearer realm="aigw"'}


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _bearer_tenant(authorization: str, settings: GatewaySettings) -> str | None:
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    tenant = bearer_tenant(token, settings)
    if tenant is None and settings.has("any-bearer-accepted"):
        return settings.tenant
    return tenant


def _key_tenant(key: str | None, secret: str | None, settings: GatewaySettings) -> str | None:
    expected = key_credentials(key, settings) if key else None
    if expected is None:
        return None
    expected_secret, tenant = expected
    if secret is None and settings.has("key-without-secret-accepted"):
        return tenant
    return tenant if secret is not None and _same(secret, expected_secret) else None


def authenticate(headers: Headers, settings: GatewaySettings) -> str:
    """The tenant of the credentials if either scheme presented is valid; otherwise a 401 saying what was wrong."""
    authorization = headers.get("authorization")
    key, secret = headers.get("api-key"), headers.get("api-secret")
    tenant = _bearer_tenant(authorization, settings) if authorization is not None else None
    if tenant is None and (key is not None or secret is not None):
        tenant = _key_tenant(key, secret, settings)
    if tenant is not None:
        return tenant
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
