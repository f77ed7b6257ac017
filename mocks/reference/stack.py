"""`ReferenceStack`: the provider mocks plus the reference gateway in front of them, on loopback threads."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp

from mocks.anthropic.app import create_app as create_anthropic_app
from mocks.core import faults
from mocks.core.server import ServerThread
from mocks.gemini.app import create_app as create_gemini_app
from mocks.openai.app import create_app as create_openai_app
from mocks.reference.app import BASE_PATH, create_app
from mocks.reference.settings import GatewaySettings

# Provider → (mount path on the mock server, API version segment of its upstream URL, the mock's factory).
# OpenAI is strict (unknown parameters are a 400, as on the real API); the self-hosted threatwinds backend is
# vLLM-style: OpenAI's wire format, extra sampling parameters (top_k, min_p, repetition_penalty) accepted.
# Gemini and Claude are their native mocks (strict too). The root mount ("") must come last: it matches all.
MOUNTS: dict[str, tuple[str, str, Callable[[str], ASGIApp]]] = {
    "threatwinds": ("/threatwinds", "/v1", lambda key: create_openai_app(key, strict=False)),
    "gemini": ("/gemini", "/v1beta", lambda key: create_gemini_app(key)),
    "claude": ("/anthropic", "/v1", lambda key: create_anthropic_app(key)),
    "openai": ("", "/v1", lambda key: create_openai_app(key, strict=True)),
}


def mock_upstreams(api_key: str) -> Starlette:
    """One ASGI app holding each provider's mock under its own mount path."""
    return Starlette(routes=[Mount(path, app=factory(api_key)) for path, _, factory in MOUNTS.values()])


class ReferenceStack:
    """Start with `with ReferenceStack(defects=["no-done"]) as stack:`; `stack.base_url` ends in /api/ai/v1.

    `settings_overrides` are GatewaySettings fields (token, api_key, upstream_timeout_s, ...); `upstreams`
    given there replaces the mock for the providers it names."""

    def __init__(
        self,
        *,
        port: int = 0,
        defects: Iterable[str] = (),
        quirks: Iterable[str] = (),
        **settings_overrides: Any,
    ) -> None:
        self._port = port
        self._defects, self._quirks = frozenset(defects), frozenset(quirks)
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
    def token(self) -> str:
        return self.settings.token

    @property
    def api_key(self) -> str:
        return self.settings.api_key

    @property
    def api_secret(self) -> str:
        return self.settings.api_secret

    def mock_url(self, provider: str = "openai") -> str:
        """The root of `provider`'s mock (its journal is at `<root>/__mock__/journal`)."""
        return self.mock_base_url + MOUNTS[provider][0]

    def start(self) -> ReferenceStack:
        self._mock = ServerThread(mock_upstreams(self.settings.upstream_api_key), name="provider-mocks")
        self.mock_base_url = self._mock.start()
        try:
            upstreams = {provider: self.mock_url(provider) + version for provider, (_, version, _) in MOUNTS.items()}
            upstreams.update(self._overrides.get("upstreams", {}))
            defaults = {"forward_headers": frozenset(faults.HEADERS)}
            overrides = {**defaults, **self._overrides, "upstreams": upstreams}
            self.settings = GatewaySettings(defects=self._defects, quirks=self._quirks, **overrides)
            self._gateway = ServerThread(create_app(self.settings), self._port, name="reference-gateway")
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
