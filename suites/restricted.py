"""Restricted credentials a target may declare for the 403 tests: `[auth.restricted]`, `[auth.restricted_models]`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class RestrictionsError(ValueError):
    """A restricted-credentials table that cannot be used, with what to fix."""


@dataclass(frozen=True)
class Restrictions:
    """Valid bearer tokens with fewer rights than `[auth] token`; each test that needs one is skipped without it.

    `no_access_token` (`[auth.restricted] token`): authenticates but has no AI API access (001: "403 Forbidden
    Insufficient permissions for AI API access"). `models_token` (`[auth.restricted_models] token`) may use
    `allowed_model` but not `denied_model` (000: "403 Forbidden Insufficient permissions or model not allowed")."""

    no_access_token: str | None = None
    models_token: str | None = None
    allowed_model: str | None = None
    denied_model: str | None = None

    def model_rules(self) -> dict[str, tuple[str, ...]]:
        """`models_token` → the models it may use, as the reference's settings take them (empty: none given)."""
        if not (self.models_token and self.allowed_model):
            return {}
        return {self.models_token: (self.allowed_model,)}


def _text(table: dict[str, Any], key: str, where: str) -> str | None:
    value = table.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise RestrictionsError(f"{where}: {key} must be a non-empty string, got {value!r}")
    return value


def restrictions(auth: Any, where: str) -> Restrictions:
    """The `[auth.restricted]` and `[auth.restricted_models]` tables of a target file's `[auth]`."""
    auth = auth if isinstance(auth, dict) else {}
    none, models = auth.get("restricted", {}), auth.get("restricted_models", {})
    if not isinstance(none, dict) or not isinstance(models, dict):
        raise RestrictionsError(f"{where}: [auth.restricted] and [auth.restricted_models] must be tables")
    found = Restrictions(
        no_access_token=_text(none, "token", f"{where} [auth.restricted]"),
        models_token=_text(models, "token", f"{where} [auth.restricted_models]"),
        allowed_model=_text(models, "allowed", f"{where} [auth.restricted_models]"),
        denied_model=_text(models, "denied", f"{where} [auth.restricted_models]"),
    )
    if found.models_token and not (found.allowed_model and found.denied_model):
        raise RestrictionsError(f"{where}: [auth.restricted_models] needs `allowed` (a model the token may use) and "
                                "`denied` (one it may not) next to its token")
    if found.allowed_model is not None and found.allowed_model == found.denied_model:
        raise RestrictionsError(f"{where}: [auth.restricted_models] allowed and denied name the same model")
    return found
