"""`ReferenceStack`: the OpenAI mock plus the reference gateway in front of it, on loopback threads."""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import Any

from mocks.core.server import ServerThread
from mocks.reference.app import BASE_PATH, create_app
from mocks.reference.settings import GatewaySettings

PROVIDERS = ("openai", "threatwinds")  # both served by the one OpenAI wire-format mock for now


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
    def upstream_base_url(self) -> str:
        return self.mock_base_url + "/v1"

    @property
    def token(self) -> str:
        return self.settings.token

    @property
    def api_key(self) -> str:
        return self.settings.api_key

    @property
    def api_secret(self) -> str:
        return self.settings.api_secret

    def start(self) -> ReferenceStack:
        from mocks.openai.app import create_app as create_openai_app

        self._mock = ServerThread(create_openai_app(), name="openai-mock")
        self.mock_base_url = self._mock.start()
        try:
            upstreams = dict.fromkeys(PROVIDERS, self.upstream_base_url)
            upstreams.update(self._overrides.get("upstreams", {}))
            overrides = {**self._overrides, "upstreams": upstreams}
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
