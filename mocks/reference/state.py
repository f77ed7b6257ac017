"""Per-app state shared by the handlers: the settings and the one upstream HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from aigw_conformance.mocks.reference.errors import GatewayError
from aigw_conformance.mocks.reference.settings import GatewaySettings
from aigw_conformance.mocks.reference.transport import LeanClient


class GatewayState:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.client: httpx.AsyncClient | None = None

    def http(self) -> httpx.AsyncClient:
        if self.client is None:
            raise GatewayError(500, "gateway is not started (lifespan not run)", code="not_started")
        return self.client

    @asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        """One upstream client per app, bounded by the upstream timeout; env proxies are ignored."""
        limit = self.settings.upstream_timeout_s
        timeout = httpx.Timeout(limit, connect=min(5.0, limit))
        async with LeanClient(timeout=timeout, max_answer_bytes=self.settings.upstream_max_answer_bytes) as client:
            self.client = client
            try:
                yield
            finally:
                self.client = None
