"""The reference gateway's Starlette application: routes under /api/ai/v1 and the error contract."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from aigw_conformance.mocks.reference.audio import SpeechEndpoint, TranscriptionEndpoint
from aigw_conformance.mocks.reference.chat import ChatEndpoint
from aigw_conformance.mocks.reference.client import CLIENT_BASE_PATH, create_client_app
from aigw_conformance.mocks.reference.count import CountEndpoint
from aigw_conformance.mocks.reference.embeddings import EmbeddingsEndpoint
from aigw_conformance.mocks.reference.errors import GatewayError, install_handlers
from aigw_conformance.mocks.reference.fastchat import ChatApp
from aigw_conformance.mocks.reference.hotpaths import install as install_hot_paths
from aigw_conformance.mocks.reference.models import ModelEndpoints
from aigw_conformance.mocks.reference.settings import GatewaySettings
from aigw_conformance.mocks.reference.state import GatewayState
from aigw_conformance.mocks.reference.store.routes import StoreEndpoints
from aigw_conformance.mocks.reference.voices import VoicesEndpoint

BASE_PATH = "/api/ai/v1"
CHAT = ("POST", BASE_PATH + "/chat/completions")
HOT_PATHS = (CHAT, ("POST", BASE_PATH + "/embeddings"))
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
        except ClientDisconnect:  # gone (or cut off by the server's body timeout): the answer goes nowhere
            return Response(status_code=400)
        except Exception as exc:
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            raise GatewayError(500, f"internal server error ({type(exc).__name__})") from exc

    return wrapper


def create_app(settings: GatewaySettings) -> Starlette:
    state = GatewayState(settings)
    models = ModelEndpoints(state)
    chat = ChatEndpoint(state)
    routes = [
        Route("/models", guarded(models.list), methods=["GET"]),
        Route("/models/{model_id:path}", guarded(models.retrieve), methods=["GET"]),
        Route("/chat/completions", guarded(chat), methods=["POST"]),
        Route("/chat/count", guarded(CountEndpoint(state)), methods=["POST"]),
        Route("/audio/voices", guarded(VoicesEndpoint(settings)), methods=["GET"]),
        Route("/embeddings", guarded(EmbeddingsEndpoint(state)), methods=["POST"]),
        Route("/audio/transcriptions", guarded(TranscriptionEndpoint(state)), methods=["POST"]),
        Route("/audio/speech", guarded(SpeechEndpoint(state)), methods=["POST"]),
    ]
    store = StoreEndpoints(settings)  # routed before the mount: its names are decoded from the raw path
    client = Mount(CLIENT_BASE_PATH, app=create_client_app(state))  # the client gateway (002)
    app = Starlette(routes=[store.route(BASE_PATH, guarded), Mount(BASE_PATH, routes=routes), client],
                    exception_handlers=install_handlers(settings), lifespan=store.lifespan(state.lifespan))
    app.state.gateway = state
    install_hot_paths(app, HOT_PATHS, {CHAT: ChatApp(chat)})  # routed once at start-up (hotpaths.py, fastchat.py)
    return app
