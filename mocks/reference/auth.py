"""Authentication (bearer, or api-key + api-secret; 000, 001), its tenant, and restricted credentials' 403s."""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from starlette.datastructures import Headers

from aigw_conformance.mocks.reference.errors import GatewayError
from aigw_conformance.mocks.reference.settings import GatewaySettings
from aigw_conformance.mocks.reference.store.tenancy import bearer_tenant, key_credentials

CHALLENGE = {"www-authenticate": 'Bearer realm="aigw"'}


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _bearer_token(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _listed(token: str, tokens: Iterable[str]) -> bool:
    return any([_same(token, known) for known in tokens])  # a list: every entry compared, found or not


def _bearer_tenant(authorization: str, settings: GatewaySettings) -> str | None:
    token = _bearer_token(authorization)
    if token is None:
        return None
    if settings.no_access_tokens and _listed(token, settings.no_access_tokens):
        if settings.has("forbidden-as-401"):
            return None
        raise GatewayError(403, "insufficient permissions: this credential has no AI API access",
                           code="insufficient_permissions")
    if settings.token_models and _listed(token, settings.token_models):
        return settings.tenant
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


def _secret_tenant(secret: str, settings: GatewaySettings) -> str | None:
    """The defect `secret-without-key-accepted`: the tenant of whichever pair has this api-secret."""
    pairs = [*settings.tenant_keys.values(), (settings.api_secret, settings.tenant)]
    return next((tenant for known, tenant in pairs if _same(secret, known)), None)


def authenticate(headers: Headers, settings: GatewaySettings) -> str:
    """The tenant of the credentials if either scheme presented is valid (both presented, one invalid: the valid
    one authenticates, decision auth.mixed); otherwise a 401 saying what was wrong."""
    authorization = headers.get("authorization")
    key, secret = headers.get("api-key"), headers.get("api-secret")
    if settings.has("mixed-credentials-400") and authorization is not None and (key is not None or secret is not None):
        raise GatewayError(400, "only one authentication method is allowed per request", code="invalid_request")
    tenant = _bearer_tenant(authorization, settings) if authorization is not None else None
    if tenant is None and (key is not None or secret is not None):
        tenant = _key_tenant(key, secret, settings)
    if tenant is None and key is None and secret is not None and settings.has("secret-without-key-accepted"):
        tenant = _secret_tenant(secret, settings)
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


def authorize_model(headers: Headers, model_id: str, settings: GatewaySettings) -> None:
    """403 "model not allowed" when the bearer token is allowed only other models (`settings.token_models`)."""
    if not settings.token_models or settings.has("model-allowlist-ignored"):
        return
    token = _bearer_token(headers.get("authorization"))
    allowed = next((models for known, models in settings.token_models.items() if token and _same(token, known)), None)
    if allowed is not None and model_id not in allowed:
        raise GatewayError(403, f"model not allowed: this credential may use {', '.join(allowed) or 'no model'}, "
                           f"not {model_id!r}", code="model_not_allowed", param="model")
