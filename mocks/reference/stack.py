"""`ReferenceStack`: the provider mocks plus the reference gateway in front of them, on loopback threads."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp

from aigw_conformance.mocks.anthropic.app import create_app as create_anthropic_app
from aigw_conformance.mocks.core import faults
from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.core.serverlimits import ServerLimits
from aigw_conformance.mocks.gemini.app import create_app as create_gemini_app
from aigw_conformance.mocks.openai.app import create_app as create_openai_app
from aigw_conformance.mocks.reference.app import BASE_PATH, create_app
from aigw_conformance.mocks.reference.client import CLIENT_BASE_PATH
from aigw_conformance.mocks.reference.serverguard import reference_limits
from aigw_conformance.mocks.reference.settings import GatewaySettings
from aigw_conformance.mocks.selfhosted.app import create_app as create_selfhosted_app

# Provider → (mount path on the mock server, API version segment of its upstream URL, the mock's factory).
# OpenAI is strict (unknown parameters are a 400, as on the real API); the self-hosted threatwinds backend is
# the vLLM-style mock (`mocks.selfhosted`): OpenAI's wire format, extra sampling parameters (top_k, min_p,
# repetition_penalty) accepted, chat, embedding and audio models, vLLM's errors.
# Gemini and Claude are their native mocks (strict too). The root mount ("") must come last: it matches all.
MOUNTS: dict[str, tuple[str, str, Callable[[str], ASGIApp]]] = {
    "threatwinds": ("/threatwinds", "/v1", lambda key: create_selfhosted_app(key, owned_by="maintainer",
                                                                              deterministic_ids=True)),
    "gemini": ("/gemini", "/v1beta", lambda key: create_gemini_app(key, deterministic_ids=True)),
    "claude": ("/anthropic", "/v1", lambda key: create_anthropic_app(key, reasoning_limits=False,
                                                                      deterministic_ids=True)),
    # `reasoning_limits=False` (above too): the documents' support table (000) says OpenAI takes `stop`,
    # `logprobs`, `temperature` and `top_p`, and the suite holds the reference to it (it forwards them to gpt-5,
    # and temperature with top_p to Claude, and expects logprobs back), whereas the real gpt-5 and Claude 4.5
    # refuse them; `aigw mocks serve` keeps the refusals on. `deterministic_ids` (every mount): the upstream's
    # answers, tool call ids included, stay a function of the request, which the reference's tests rely on; the
    # gateway mints its own `id` and `created` (identity.py), so no answer of the reference repeats either.
    "openai": ("", "/v1", lambda key: create_openai_app(key, strict=True, reasoning_limits=False,
                                                        deterministic_ids=True)),
}


def provider_base(provider: str, url: str) -> str:
    """The upstream base URL of `provider` given `url`: its API base (https://api.openai.com/v1), or a bare
    origin such as a separately started mock's root (http://127.0.0.1:9001), to which the provider's version
    segment is appended (/v1; /v1beta for gemini). ValueError for an unknown provider or a malformed URL."""
    if provider not in MOUNTS:
        raise ValueError(f"unknown provider {provider!r}; known providers are: {', '.join(sorted(MOUNTS))}")
    problem = "expected http(s)://host[:port][/path]"
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError as error:  # e.g. a port that is not a number or out of range
        problem, port_ok = str(error), False
    if not port_ok or parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment or any(char.isspace() for char in url):
        raise ValueError(f"malformed URL for provider {provider!r}: {url!r} ({problem})")
    base = url.rstrip("/")
    return base if parts.path.strip("/") else base + MOUNTS[provider][1]


def mock_upstreams(api_key: str) -> Starlette:
    """One ASGI app holding each provider's mock under its own mount path."""
    return Starlette(routes=[Mount(path, app=factory(api_key)) for path, _, factory in MOUNTS.values()])


class ReferenceStack:
    """Start with `with ReferenceStack(defects=["no-done"]) as stack:`; `stack.base_url` ends in /api/ai/v1.

    `settings_overrides` are GatewaySettings fields (token, api_key, upstream_timeout_s, ...); `upstreams`
    given there replaces the mock for the providers it names (base URLs as is). `provider_urls` does the same
    through `provider_base` (checked, and a bare origin gets the provider's version segment), e.g.
    `{"openai": "http://127.0.0.1:9001"}` for a separately started OpenAI mock. `provider_keys` are the
    credentials the gateway sends to those providers (a real provider's API key, or the key a separately started
    mock was given); a provider without one gets the bundled mocks' key (`upstream_api_key`). A key for a
    provider that is not given a URL is a ValueError: the bundled mocks accept only their own key.

    `test_hooks` (on here: this is the harness's stack, and its fault and guardrail tests need them) forwards
    the mocks' `x-mock-*` request headers upstream and honours the output-PII hook (`x-aigw-test-output-pii`);
    `aigw serve` turns them on only with `--test-hooks`, so no client can fail a provider (and open its breaker)
    for everyone. Either can still be set as a GatewaySettings field (`forward_headers`, `client_test_hooks`).
    `server_limits` bound what a client connection may hold (header size and count, read timeouts, the
    connection cap: mocks/core/guard.py); default `ServerLimits()`."""

    def __init__(
        self,
        *,
        port: int = 0,
        defects: Iterable[str] = (),
        quirks: Iterable[str] = (),
        provider_urls: Mapping[str, str] | None = None,
        provider_keys: Mapping[str, str] | None = None,
        test_hooks: bool = True,
        server_limits: ServerLimits | None = None,
        **settings_overrides: Any,
    ) -> None:
        self._port = port
        self.server_limits = server_limits or ServerLimits()
        self.provider_urls = {name: provider_base(name, url) for name, url in (provider_urls or {}).items()}
        self.provider_keys = dict(provider_keys or {})
        if stray := sorted(set(self.provider_keys) - set(self.provider_urls)):
            raise ValueError(f"a key is given for providers {stray} without their URL; the bundled mocks accept "
                             "only the gateway's own upstream key")
        if empty := sorted(name for name, key in self.provider_keys.items() if not key.strip()):
            raise ValueError(f"empty key given for providers {empty}")
        self._defects, self._quirks = frozenset(defects), frozenset(quirks)
        self.test_hooks = test_hooks
        self._overrides = settings_overrides
        # Built now so unknown defects or quirks fail before any server starts.
        self.settings = GatewaySettings(defects=self._defects, quirks=self._quirks, **settings_overrides)
        self._mock: ServerThread | None = None
        self._gateway: ServerThread | None = None
        self.mock_base_url = ""
        self.gateway_url = ""

    @property
    def base_url(self) -> str:
        """The gateway's API base, e.g. http://127.0.0.1:PORT/api/ai/v1."""
        return self.gateway_url + BASE_PATH

    @property
    def client_base_url(self) -> str:
        """The client gateway's base (002), e.g. http://127.0.0.1:PORT/api/client/v1."""
        return self.gateway_url + CLIENT_BASE_PATH

    @property
    def client_token(self) -> str:
        """The first client gateway API token (`cgt_...`), "" when there is none."""
        return self.settings.client_tokens[0] if self.settings.client_tokens else ""

    @property
    def token(self) -> str:
        return self.settings.token

    @property
    def api_key(self) -> str:
        return self.settings.api_key

    @property
    def api_secret(self) -> str:
        return self.settings.api_secret

    @property
    def second_token(self) -> str | None:
        """A bearer token of another tenant than `token`'s (dev-token-2 by default), or None if there is none."""
        return next((token for token, tenant in self.settings.tenants.items()
                     if tenant != self.settings.tenant and token != self.settings.token), None)

    def mock_url(self, provider: str = "openai") -> str:
        """The root of `provider`'s mock (its journal is at `<root>/__mock__/journal`)."""
        return self.mock_base_url + MOUNTS[provider][0]

    def start(self) -> ReferenceStack:
        self._mock = ServerThread(mock_upstreams(self.settings.upstream_api_key), name="provider-mocks")
        self.mock_base_url = self._mock.start()
        try:
            upstreams = {provider: self.mock_url(provider) + version for provider, (_, version, _) in MOUNTS.items()}
            upstreams.update(self._overrides.get("upstreams", {}))
            upstreams.update(self.provider_urls)
            defaults = {"forward_headers": frozenset(faults.HEADERS if self.test_hooks else ()),
                        "client_test_hooks": self.test_hooks}
            keys = {**self._overrides.get("upstream_keys", {}), **self.provider_keys}
            overrides = {**defaults, **self._overrides, "upstreams": upstreams, "upstream_keys": keys}
            self.settings = GatewaySettings(defects=self._defects, quirks=self._quirks, **overrides)
            limits = reference_limits(self.settings, self.server_limits)
            self._gateway = ServerThread(create_app(self.settings), self._port, name="reference-gateway",
                                         limits=limits)
            self.gateway_url = self._gateway.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for server in (self._gateway, self._mock):
            if server is not None:
                server.stop()
        self._gateway = self._mock = None

    def __enter__(self) -> ReferenceStack:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
