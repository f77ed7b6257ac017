"""The tenant of a request's credentials: the primary token and key pair, plus the settings' extra ones."""

from __future__ import annotations

import hmac
from typing import TypeVar

from aigw_conformance.mocks.reference.settings import GatewaySettings

T = TypeVar("T")


def _lookup(given: str, table: dict[str, T]) -> T | None:
    """`table[given]`, comparing in constant time against every entry, found or not."""
    found: T | None = None
    for credential, value in table.items():
        if hmac.compare_digest(given.encode(), credential.encode()) and found is None:
            found = value
    return found


def bearer_tenant(token: str, settings: GatewaySettings) -> str | None:
    """The tenant of a bearer token, or None; the primary token wins over an extra one equal to it."""
    return _lookup(token, {**settings.tenants, settings.token: settings.tenant})


def key_credentials(key: str, settings: GatewaySettings) -> tuple[str, str] | None:
    """(api-secret, tenant) of an api-key, or None; the primary pair wins over an extra one equal to it."""
    return _lookup(key, {**settings.tenant_keys, settings.api_key: (settings.api_secret, settings.tenant)})
