"""POST /chat/completions as a plain ASGI app: `ChatEndpoint`'s work without Starlette's Request and Response."""

# Routed by `hotpaths.HotPaths` in place of Starlette's `request_response(guarded(ChatEndpoint))`, and doing what
# that does, with fewer objects: the headers read from the scope, the body from `receive` (as `Request.stream`
# reads it), a completion written as `JSONResponse` writes it (the same bytes and headers), a stream sent by its
# response object. Errors take the same way out: `GatewayError` and HTTPException propagate to the app's
# ExceptionMiddleware, whose handlers (errors.py) answer them as they answer the endpoint's; any other exception
# is logged and becomes the documented 500, as `app.guarded` does.

from __future__ import annotations

import logging

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from aigw_conformance.mocks.reference.chat import ChatEndpoint
from aigw_conformance.mocks.reference.errors import GatewayError
from aigw_conformance.mocks.reference.transport import json_bytes
from aigw_conformance.mocks.reference.validation import receive_json

log = logging.getLogger("aigw_conformance.mocks.reference.app")  # where `app.guarded` logs the same failures
JSON_TYPE = (b"content-type", b"application/json")


class ChatApp:
    """The chat endpoint as an ASGI app (HTTP only; `HotPaths` routes nothing else here)."""

    def __init__(self, chat: ChatEndpoint) -> None:
        self.chat = chat

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        settings = self.chat.state.settings
        headers = Headers(scope=scope)
        try:
            answer = await self.chat.answer(headers, lambda: receive_json(headers, receive, settings))
            body = None if isinstance(answer, Response) else json_bytes(answer)  # what JSONResponse renders
        except (GatewayError, HTTPException):
            raise
        except ClientDisconnect:  # gone (or cut off by the server's body timeout): nothing to answer
            return
        except Exception as exc:
            request = Request(scope, receive)
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            raise GatewayError(500, f"internal server error ({type(exc).__name__})") from exc
        if body is None:
            assert isinstance(answer, Response)
            await answer(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode()), JSON_TYPE]})
        await send({"type": "http.response.body", "body": body})
