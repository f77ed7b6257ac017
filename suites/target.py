"""A target: where the gateway is, how to authenticate, which models to use, what it supports."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from suites.features import Feature

ALL = "*"
REFERENCE_TARGET = Path(__file__).with_name("targets") / "reference.toml"


class TargetError(ValueError):
    """A target file or override that cannot be used, with what to fix."""


@dataclass(frozen=True)
class Target:
    """Everything the suite needs to know about the gateway under test."""

    name: str = "target"
    base_url: str | None = None
    client_base_url: str | None = None
    token: str | None = None
    api_key: str | None = None
    api_secret: str | None = None
    client_token: str | None = None
    models: dict[str, str] = field(default_factory=dict)
    supported: frozenset[Feature] = frozenset(Feature)
    exempt: dict[Feature, str] = field(default_factory=dict)
    timeout_s: float = 30.0
    examples: int = 25

    def model_for(self, capability: str) -> str | None:
        """The model ID to use for `capability` (e.g. "chat", "stream"), falling back to "chat"."""
        return self.models.get(capability) or self.models.get("chat")

    def auth_headers(self) -> dict[str, str]:
        """The credentials the target was given: bearer if a token is set, else the key pair."""
        if self.token:
            return {"authorization": f"Bearer {self.token}"}
        if self.api_key and self.api_secret:
            return {"api-key": self.api_key, "api-secret": self.api_secret}
        return {}

    def skip_reason(self, feature: Feature) -> str | None:
        if feature in self.exempt:
            return f"feature '{feature}' is exempt for this target: {self.exempt[feature]}"
        if feature not in self.supported:
            return f"target '{self.name}' does not declare support for feature '{feature}'"
        return None

    def with_overrides(self, **overrides: Any) -> Target:
        """Apply CLI overrides; `None` values leave the file's setting in place."""
        given = {key: value for key, value in overrides.items() if value is not None}
        if "model" in given:
            given["models"] = {**self.models, "chat": given.pop("model")}
        return replace(self, **given)


def _features(names: list[str], where: str) -> frozenset[Feature]:
    if names == [ALL]:
        return frozenset(Feature)
    known = {feature.value for feature in Feature}
    unknown = sorted(set(names) - known)
    if unknown:
        raise TargetError(f"{where}: unknown features {unknown}; known: {sorted(known)}")
    return frozenset(Feature(name) for name in names)


def load_target(path: Path) -> Target:
    """Read a TOML target file (see suites/targets/reference.toml for every key)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TargetError(f"cannot read target file {path}: {exc}") from exc
    api, client, auth = data.get("api", {}), data.get("client", {}), data.get("auth", {})
    features = data.get("features", {})
    exempt_raw = features.get("exempt", {})
    exempt = {feature: str(exempt_raw[feature.value]) for feature in _features(list(exempt_raw), str(path))}
    return Target(
        name=str(data.get("name", path.stem)),
        base_url=api.get("base_url"),
        client_base_url=client.get("base_url"),
        token=auth.get("token"),
        api_key=auth.get("api_key"),
        api_secret=auth.get("api_secret"),
        client_token=client.get("token"),
        models={str(key): str(value) for key, value in data.get("models", {}).items()},
        supported=_features(list(features.get("supported", [ALL])), str(path)),
        exempt=exempt,
        timeout_s=float(data.get("timeouts", {}).get("request_s", 30.0)),
        examples=int(data.get("fuzz", {}).get("examples", 25)),
    )
