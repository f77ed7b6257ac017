"""The reference gateway's configuration: credentials and tenants, upstream mocks, the store, defects, quirks."""

from __future__ import annotations

from dataclasses import dataclass, field

from aigw_conformance.mocks.reference.defects import ALL_DEFECTS, QUIRKS, checked


@dataclass(frozen=True)
class GatewaySettings:
    """Everything `create_app` needs; unknown defect or quirk names raise ValueError."""

    token: str = "dev-token"  # "" (as api_key and api_secret ""): the scheme accepts nothing (`aigw serve`)
    api_key: str = "dev-key"
    api_secret: str = "dev-secret"
    upstreams: dict[str, str] = field(default_factory=dict)  # provider name → base URL ending in /v1
    defects: frozenset[str] = frozenset()
    quirks: frozenset[str] = frozenset()
    upstream_timeout_s: float = 30.0
    upstream_api_key: str = "sk-reference-gateway"  # sent upstream as `Authorization: Bearer ...`
    upstream_keys: dict[str, str] = field(default_factory=dict)  # provider → its own key (a real provider's)
    max_body_bytes: int = 32 * 1024 * 1024
    upstream_max_answer_bytes: int = 32 * 1024 * 1024  # a provider answer's cap, received and decoded (bounded.py)
    forward_headers: frozenset[str] = frozenset()  # request headers copied upstream (the mocks' x-mock-*)
    tenant: str = "default"  # the tenant of `token` and of the `api_key` pair
    tenants: dict[str, str] = field(default_factory=lambda: {"dev-token-2": "tenant-2"})  # more tokens → tenant
    tenant_keys: dict[str, tuple[str, str]] = field(  # more api-keys → (api-secret, tenant)
        default_factory=lambda: {"dev-key-2": ("dev-secret-2", "tenant-2")})
    # Valid credentials with fewer rights (000/001 "403 Forbidden"): bearer tokens without AI API access, and
    # bearer tokens allowed only the listed model IDs ("model not allowed" for any other); both on the default
    # tenant. `aigw check` sets them from the target file's [auth.restricted] and [auth.restricted_models].
    no_access_tokens: tuple[str, ...] = ("dev-token-no-ai",)
    token_models: dict[str, tuple[str, ...]] = field(default_factory=lambda: {"dev-token-mini": ("gpt-5-mini",)})
    store_url: str | None = None  # the data store: None in memory per app, else a file path or sqlite:///path
    # The client gateway (/api/client/v1, 002): its API tokens, per-token limits, breaker and guardrails.
    client_tokens: tuple[str, ...] = ("cgt_dev-token",)
    client_rate_limit: int = 10_000  # requests per token per window
    client_token_rate_limits: dict[str, int] = field(default_factory=dict)  # client token → its own rate limit
    client_rate_window_s: float = 60.0
    client_quota_tokens: int = 100_000_000  # tokens (usage.total_tokens) per token per period
    client_quota_period_s: float = 86_400.0
    client_token_quotas: dict[str, int] = field(default_factory=dict)  # client token → its own quota (tokens)
    client_breaker_threshold: int = 5  # consecutive upstream failures that open a provider's breaker
    client_breaker_cooldown_s: float = 30.0  # open → half-open (one trial request) after this long
    client_pii_detectors: frozenset[str] = frozenset({"email", "phone", "credit_card"})  # empty: guardrail off
    client_test_hooks: bool = False  # honour the `x-aigw-test-output-pii` request header (`aigw serve --test-hooks`)

    def __post_init__(self) -> None:
        object.__setattr__(self, "defects", checked(self.defects, ALL_DEFECTS, "defect"))
        object.__setattr__(self, "quirks", checked(self.quirks, QUIRKS, "quirk"))
        object.__setattr__(self, "forward_headers", frozenset(name.lower() for name in self.forward_headers))
        object.__setattr__(self, "upstreams", {name: url.rstrip("/") for name, url in self.upstreams.items()})
        object.__setattr__(self, "tenants", dict(self.tenants))
        object.__setattr__(self, "tenant_keys", {key: (secret, tenant) for key, (secret, tenant)
                                                 in self.tenant_keys.items()})
        pairs = [(key, *secret_tenant) for key, secret_tenant in self.tenant_keys.items()]
        if not all([self.tenant, *self.tenants, *self.tenants.values(), *(part for p in pairs for part in p)]):
            raise ValueError("tenant IDs and tenant credentials must be non-empty")
        no_access = self.no_access_tokens
        object.__setattr__(self, "no_access_tokens", (no_access,) if isinstance(no_access, str) else tuple(no_access))
        object.__setattr__(self, "token_models", {token: tuple(models) for token, models in self.token_models.items()})
        if not all([*self.no_access_tokens, *self.token_models]):
            raise ValueError("restricted tokens must be non-empty")
        tokens = self.client_tokens
        object.__setattr__(self, "client_tokens", (tokens,) if isinstance(tokens, str) else tuple(tokens))
        object.__setattr__(self, "client_pii_detectors", frozenset(self.client_pii_detectors))
        object.__setattr__(self, "client_token_rate_limits", dict(self.client_token_rate_limits))
        object.__setattr__(self, "client_token_quotas", dict(self.client_token_quotas))
        per_token = {**self.client_token_rate_limits, **self.client_token_quotas}
        client_limits = (self.client_rate_limit, self.client_rate_window_s, self.client_quota_tokens,
                         self.client_quota_period_s, self.client_breaker_threshold, self.client_breaker_cooldown_s,
                         *self.client_token_rate_limits.values(), *self.client_token_quotas.values())
        if min(client_limits) <= 0 or not all(self.client_tokens):
            raise ValueError("client gateway limits must be positive and client tokens non-empty")
        if unknown := sorted(set(per_token) - set(self.client_tokens)):
            raise ValueError(f"per-token client limits name tokens that are not client tokens: {unknown}")
        if self.upstream_max_answer_bytes <= 0:
            raise ValueError(f"upstream_max_answer_bytes must be positive, got {self.upstream_max_answer_bytes}")
        if self.upstream_timeout_s <= 0:
            raise ValueError(f"upstream_timeout_s must be positive, got {self.upstream_timeout_s}")

    def upstream_key(self, provider: str) -> str:
        """The credential sent to `provider` (in its native header): its own key, else `upstream_api_key`."""
        return self.upstream_keys.get(provider, self.upstream_api_key)

    def has(self, defect: str) -> bool:
        """Whether `defect` is switched on; a typo in the code is a bug, so it raises."""
        if defect not in ALL_DEFECTS:
            raise KeyError(f"no defect named {defect!r}")
        return defect in self.defects
