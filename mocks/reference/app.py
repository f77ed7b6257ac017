"""The reference gateway's Starlette application: routes under /api/ai/v1 and the error contract."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from mocks.reference.chat import ChatEndpoint
from mocks.reference.errors import GatewayError, install_handlers
from mocks.reference.models import ModelEndpoints
from mocks.reference.settings import GatewaySettings
from mocks.reference.state import GatewayState

BASE_PATH = "/api/ai/v1"
Endpoint = Callable[[Request], Awaitable[Response]]
log = logging.getLogger(__name__)


def guarded(endpoint: Endpoint) -> Endpoint:
    """Turn an unexpected exception into the documented 500 (no traceback ever reaches the client)."""

    @functools.wraps(endpoint)
    async def wrapper(request: Request) -> Response:
        try:
            return await endpoint(request)
        except (GatewayError, HTTPException):
            raise
        except Exception as exc:
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            raise GatewayError(500, f"internal server error ({type(exc).__name__})") from exc

    return wrapper


def create_app(settings: GatewaySettings) -> Starlette:
    state = GatewayState(settings)
    models = ModelEndpoints(state)
    routes = [
        Route("/models", guarded(models.list), methods=["GET"]),
        Route("/models/{model_id:path}", guarded(models.retrieve), methods=["GET"]),
        Route("/chat/completions", guarded(ChatEndpoint(state)), methods=["POST"]),
    ]
    app = Starlette(routes=[Mount(BASE_PATH, routes=routes)], exception_handlers=install_handlers(settings),
                    lifespan=state.lifespan)
    app.state.gateway = state
    return app
