"""The client gateway (002) of the reference: /api/client/v1/chat/completions over the AI API's upstream path."""

from __future__ import annotations

from aigw_conformance.mocks.reference.client.routes import create_client_app

CLIENT_BASE_PATH = "/api/client/v1"

__all__ = ["CLIENT_BASE_PATH", "create_client_app"]
