"""A target: where the gateway is, how to authenticate, which models to use, what it supports."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aigw_conformance.suites.deep_options import DeepOptions, deep_options
from aigw_conformance.suites.envexpand import MissingVariable, expand
from aigw_conformance.suites.features import Feature
from aigw_conformance.suites.headers import HeaderError, header_table, merged_over
from aigw_conformance.suites.restricted import Restrictions, RestrictionsError, restrictions
from aigw_conformance.suites.target_schema import problems, refusal

ALL = "*"
REFERENCE_TARGET = Path(__file__).with_name("targets") / "reference.toml"
UPSTREAM_MOCKS = ("openai", "anthropic", "gemini", "selfhosted")
"""The mock providers a target can name in `[upstream]` (each key's value is that mock's root URL)."""
CREDENTIAL_VARIABLES = {"token": "AIGW_TOKEN", "api_key": "AIGW_API_KEY", "api_secret": "AIGW_API_SECRET",
                        "client_token": "AIGW_CLIENT_TOKEN"}
"""The environment variables that give a live target's credentials (a flag overrides them, they the file)."""


class TargetError(ValueError):
    """A target file or override that cannot be used, with what to fix."""


@dataclass(frozen=True)
class ClientOptions:
    """What the client gateway tests that provoke limits, faults and guardrails need to know (`[client]`).

    Each is optional; a test whose option is absent is skipped with the key to set."""

    limited_token: str | None = None  # a client token with a small rate limit (falls back to [client] token)
    rate_limit: int | None = None  # requests per window that token may make: request rate_limit + 1 gets 429
    quota_token: str | None = None  # a client token whose quota one request uses up: the next one gets 429
    output_pii_hook: str | None = None  # request header that makes the gateway put PII into its output
    fault_header: str | None = None  # request header forwarded upstream that makes the provider answer its status
    breaker_threshold: int | None = None  # consecutive provider failures that open the circuit breaker


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
    # `[auth.second_tenant]`: credentials of another tenant than the ones above (data-store isolation tests)
    second_token: str | None = None
    second_api_key: str | None = None
    second_api_secret: str | None = None
    restricted: Restrictions = field(default_factory=Restrictions)  # [auth.restricted...]: for the 403 tests
    client: ClientOptions = ClientOptions()
    models: dict[str, str] = field(default_factory=dict)
    model_lists: dict[str, tuple[str, ...]] = field(default_factory=dict)  # `[models] key = [...]`: every ID
    supported: frozenset[Feature] = frozenset(Feature)
    exempt: dict[Feature, str] = field(default_factory=dict)
    upstream: dict[str, str] = field(default_factory=dict)  # `[upstream]`: mock provider → its root URL
    headers: dict[str, str] = field(default_factory=dict)  # `[headers]` and `--header`: sent on every request
    timeout_s: float = 30.0
    examples: int = 25
    deep: DeepOptions = field(default_factory=DeepOptions)  # `[fuzz.deep]`: bounds of `aigw check --deep`

    def model_for(self, capability: str) -> str | None:
        """The model ID to use for `capability` (e.g. "chat", "stream"), falling back to "chat"; none when the
        target lists no model for it (`[models] n = []`: no model honours `n`)."""
        if self.model_lists.get(capability) == ():
            return None
        return self.models.get(capability) or self.models.get("chat")

    def models_for(self, capability: str, *, fallback: bool = True) -> tuple[str, ...]:
        """Every model ID listed for `capability` (`[models] tools = ["gpt-5", "gemini-3-flash"]`, or one ID);
        without a list for it, `model_for(capability)` when `fallback`, else only an ID given under that key."""
        if capability in self.model_lists:
            return self.model_lists[capability]
        single = self.model_for(capability) if fallback else self.models.get(capability)
        return (single,) if single else ()

    def client_model(self, capability: str = "chat", *, fallback: bool = True) -> str | None:
        """The client gateway model key for `capability` (`[models] client_<capability>`), falling back to
        `client_chat` when `fallback`; never to the AI API's models, whose IDs need not be client model keys."""
        return self.models.get(f"client_{capability}") or (self.models.get("client_chat") if fallback else None)

    def auth_headers(self, api: str = "ai") -> dict[str, str]:
        """The credentials the target was given for `api`: on the AI API bearer if a token is set, else the key
        pair; on the client gateway its API token."""
        if api == "client":
            return {"authorization": f"Bearer {self.client_token}"} if self.client_token else {}
        if self.token:
            return {"authorization": f"Bearer {self.token}"}
        if self.api_key and self.api_secret:
            return {"api-key": self.api_key, "api-secret": self.api_secret}
        return {}

    def second_tenant_headers(self) -> dict[str, str]:
        """The second tenant's AI API credentials (`[auth.second_tenant]`): bearer if set, else the key pair."""
        if self.second_token:
            return {"authorization": f"Bearer {self.second_token}"}
        if self.second_api_key and self.second_api_secret:
            return {"api-key": self.second_api_key, "api-secret": self.second_api_secret}
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
        if "headers" in given:
            given["headers"] = merged_over(self.headers, given["headers"])
        if "model" in given:
            given["models"] = {**self.models, "chat": given.pop("model")}
            given["model_lists"] = {key: ids for key, ids in self.model_lists.items() if key != "chat"}
        return replace(self, **given)


def _features(names: list[str], where: str) -> frozenset[Feature]:
    if names == [ALL]:
        return frozenset(Feature)
    known = {feature.value for feature in Feature}
    unknown = sorted(set(names) - known)
    if unknown:
        raise TargetError(f"{where}: unknown features {unknown}; known: {sorted(known)}")
    return frozenset(Feature(name) for name in names)


def _positive(value: Any, key: str, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TargetError(f"{where}: [client] {key} must be a positive integer, got {value!r}")
    return value


def _client_options(client: dict[str, Any], where: str) -> ClientOptions:
    def text(key: str) -> str | None:
        value = client.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise TargetError(f"{where}: [client] {key} must be a non-empty string, got {value!r}")
        return value

    return ClientOptions(
        limited_token=text("limited_token"), rate_limit=_positive(client.get("rate_limit"), "rate_limit", where),
        quota_token=text("quota_token"), output_pii_hook=text("output_pii_hook"), fault_header=text("fault_header"),
        breaker_threshold=_positive(client.get("breaker_threshold"), "breaker_threshold", where),
    )


def _models(raw: Any, where: str) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """`[models]`: each key names one model ID or a list of them (the first is the key's single model); an empty
    list says no model has the capability."""
    single: dict[str, str] = {}
    lists: dict[str, tuple[str, ...]] = {}
    for key, value in (raw if isinstance(raw, dict) else {}).items():
        if isinstance(value, list):
            if not all(isinstance(item, str) and item for item in value):
                raise TargetError(f"{where}: [models] {key} must be a model ID or a list of them")
            lists[str(key)] = tuple(value)
            if value:
                single[str(key)] = value[0]
        else:
            single[str(key)] = str(value)
    return single, lists


def _deep(table: Any, where: str) -> DeepOptions:
    try:
        return deep_options(table, where)
    except ValueError as error:
        raise TargetError(str(error)) from error


def _restricted(auth: Any, where: str) -> Restrictions:
    try:
        return restrictions(auth, where)
    except RestrictionsError as error:
        raise TargetError(str(error)) from error


def _upstream(raw: Any, where: str) -> dict[str, str]:
    """`[upstream]`: the root URL of each mock provider the gateway runs over (UPSTREAM_MOCKS)."""
    if not isinstance(raw, dict):
        raise TargetError(f"{where}: [upstream] must be a table such as openai = \"http://127.0.0.1:9001\"")
    if unknown := sorted(set(raw) - set(UPSTREAM_MOCKS)):
        raise TargetError(f"{where}: [upstream] names unknown mocks {unknown}; known: {list(UPSTREAM_MOCKS)}")
    for name, url in raw.items():
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise TargetError(f"{where}: [upstream] {name} must be an http(s) URL (the mock's root), got {url!r}")
    return {str(name): str(url).rstrip("/") for name, url in raw.items()}


def _headers(raw: Any, where: str) -> dict[str, str]:
    try:
        return header_table(raw, where)
    except HeaderError as error:
        raise TargetError(str(error)) from error


def credentials_from_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The credentials CREDENTIAL_VARIABLES give (empty values are ignored), by Target field."""
    environ = dict(os.environ) if environ is None else environ
    return {key: environ[name] for key, name in CREDENTIAL_VARIABLES.items() if environ.get(name)}


def load_target(path: Path, environ: dict[str, str] | None = None) -> Target:
    """Read a TOML target file (see suites/targets/reference.toml for every key); `${VAR}` in any string is
    replaced by that environment variable (`environ`, default os.environ), a missing one is a TargetError."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TargetError(f"cannot read target file {path}: {exc}") from exc
    try:
        data = expand(data, dict(os.environ) if environ is None else environ)
    except MissingVariable as error:
        raise TargetError(f"{path}: {error}") from error
    if found := problems(data):
        raise TargetError(refusal(str(path), found))
    api, client, auth = data.get("api", {}), data.get("client", {}), data.get("auth", {})
    second = auth.get("second_tenant", {})
    if not isinstance(second, dict):
        raise TargetError(f"{path}: [auth.second_tenant] must be a table (token, or api_key and api_secret)")
    features = data.get("features", {})
    exempt_raw = features.get("exempt", {})
    exempt = {feature: str(exempt_raw[feature.value]) for feature in _features(list(exempt_raw), str(path))}
    models, model_lists = _models(data.get("models", {}), str(path))
    return Target(
        name=str(data.get("name", path.stem)),
        base_url=api.get("base_url"),
        client_base_url=client.get("base_url"),
        token=auth.get("token"),
        api_key=auth.get("api_key"),
        api_secret=auth.get("api_secret"),
        second_token=second.get("token"),
        second_api_key=second.get("api_key"),
        second_api_secret=second.get("api_secret"),
        restricted=_restricted(auth, str(path)),
        client_token=client.get("token"),
        client=_client_options(client, str(path)),
        models=models,
        model_lists=model_lists,
        supported=_features(list(features.get("supported", [ALL])), str(path)),
        exempt=exempt,
        upstream=_upstream(data.get("upstream", {}), str(path)),
        headers=_headers(data.get("headers", {}), str(path)),
        timeout_s=float(data.get("timeouts", {}).get("request_s", 30.0)),
        examples=int(data.get("fuzz", {}).get("examples", 25)),
        deep=_deep(data.get("fuzz", {}).get("deep", {}), str(path)),
    )
