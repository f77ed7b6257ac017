"""HTTP handlers of the OpenAI mock: models, chat completions and the `/__mock__` journal endpoints."""

from __future__ import annotations

import json
import threading
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from mocks.core import faults
from mocks.core.sse import EventStreamResponse, dumps
from mocks.openai import audio, chat, embeddings, errors, params, wire
from mocks.openai.state import MockState


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(dumps(payload), status, media_type="application/json")


def mock_state(request: Request) -> MockState:
    state: MockState = request.app.state.mock
    return state


def _authorize(request: Request, api_key: str | None) -> None:
    _check_key(request.headers.get("authorization", ""), api_key)


def _check_key(authorization: str, api_key: str | None) -> None:
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise errors.missing_api_key()
    if api_key is not None and token != api_key:
        raise errors.invalid_api_key(token)


async def _admit(request: Request) -> tuple[MockState, faults.FaultSet]:
    """Journal the request, apply the header faults (delay, injected status), then check the key."""
    state = mock_state(request)
    await state.journal.record(request)
    try:
        plan = faults.from_headers(request.headers)
    except faults.FaultHeaderError as exc:
        raise errors.invalid_request(str(exc), param=exc.header) from None
    failure = await plan.before_headers()
    if failure is not None:
        raise errors.for_status(failure.status, failure.retry_after)
    _authorize(request, state.api_key)
    return state, plan


async def list_models(request: Request) -> Response:
    state, _ = await _admit(request)
    return json_response(wire.model_list(wire.model(m, created) for m, created in state.models.items()))


async def retrieve_model(request: Request) -> Response:
    state, _ = await _admit(request)
    model_id = request.path_params["model"]
    if model_id not in state.models:
        raise errors.model_not_found(model_id)
    return json_response(wire.model(model_id, state.models[model_id]))


def _chat_plan(state: MockState, raw: bytes) -> chat.ChatPlan:
    try:
        body = json.loads(raw)
    except ValueError:
        raise errors.invalid_json() from None
    # `expose_reasoning` ("reasoning_content" mode, vLLM style): a MockState setting, off unless configured
    return chat.parse(body, state.models, strict=state.strict, expose_reasoning=state.expose_reasoning)


async def chat_completions(request: Request) -> Response:
    state, plan = await _admit(request)
    chat_plan = _chat_plan(state, await request.body())
    if not chat_plan.stream:
        return json_response(chat.complete(chat_plan))
    return EventStreamResponse(chat.frames(chat_plan), pacer=plan.before_chunk)


async def create_embeddings(request: Request) -> Response:
    state, _ = await _admit(request)
    return json_response(embeddings.create(params.json_object(await request.body()), strict=state.strict))


async def create_speech(request: Request) -> Response:
    state, _ = await _admit(request)
    content, media_type = audio.speech(params.json_object(await request.body()), strict=state.strict)
    return Response(content, media_type=media_type)


async def create_transcription(request: Request) -> Response:
    state, _ = await _admit(request)
    return await audio.transcription(request, strict=state.strict)


async def journal(request: Request) -> Response:
    entries = mock_state(request).journal.entries()
    return json_response({"object": "list", "data": [e.to_json() for e in entries]})


async def reset(request: Request) -> Response:
    return json_response({"reset": True, "cleared": mock_state(request).journal.clear()})


_JSON = b"application/json"
_EVENT_STREAM = b"text/event-stream; charset=utf-8"  # what Starlette makes of media type text/event-stream


class _Reply:
    """A chat answer as it goes on the wire: the JSON body, or the events of a stream (`stream`)."""

    __slots__ = ("body", "events", "length", "model", "stream")

    def __init__(self, model: str, body: bytes = b"", events: tuple[bytes, ...] | None = None) -> None:
        self.model, self.stream, self.body, self.events = model, events is not None, body, events or ()
        self.length = str(len(body)).encode("latin-1")

    @property
    def size(self) -> int:
        return len(self.body) + sum(map(len, self.events))


class Replies:
    """Chat answers memoised by the raw request body and the settings an answer depends on (`strict`,
    `expose_reasoning`; the model list only through the request's model, checked on every hit). The mock
    is deterministic, so a repeated body (a load test's fixed prompt) costs a lookup, not a generation.
    Bounded: at most MAX_ENTRIES answers of at most MAX_ENTRY_BYTES (body and answer) each, oldest first out."""

    MAX_ENTRIES = 512
    MAX_ENTRY_BYTES = 64 * 1024

    def __init__(self) -> None:
        self._items: dict[tuple[bytes, bool, bool], _Reply] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[bytes, bool, bool]) -> _Reply | None:
        return self._items.get(key)

    def put(self, key: tuple[bytes, bool, bool], reply: _Reply) -> None:
        if len(key[0]) + reply.size > self.MAX_ENTRY_BYTES:
            return
        with self._lock:
            while len(self._items) >= self.MAX_ENTRIES:
                del self._items[next(iter(self._items))]
            self._items[key] = reply

    def __len__(self) -> int:
        return len(self._items)


def _authorization(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return bytes(value).decode("latin-1")
    return ""


async def _send_json(send: Send, body: bytes, length: bytes | None = None) -> None:
    """As Starlette's `Response(body, media_type="application/json")` sends it."""
    length = str(len(body)).encode("latin-1") if length is None else length
    headers = [(b"content-length", length), (b"content-type", _JSON)]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Direct:
    """The hot endpoints (`POST /v1/chat/completions`, `GET /v1/models`) answered straight from the ASGI scope
    and the journaled body, for requests no fault applies to (`mocks.core.control.Direct`): the same bytes
    as their routes, without Starlette's request, routing and response objects; chat answers are memoised
    (`Replies`). Anything else is left to the app's routes."""

    def __init__(self, state: MockState) -> None:
        self.state = state
        self.replies = Replies()
        self._models: tuple[tuple[tuple[str, int], ...], bytes] = ((), b"")
        self._admitted: tuple[str, str | None] | None = None  # the last (authorization, api_key) that passed

    async def __call__(self, scope: Scope, path: str, body: bytes, receive: Receive, send: Send) -> bool:
        method = scope["method"]
        if path == "/v1/chat/completions" and method == "POST":
            handle = self._chat
        elif path == "/v1/models" and method == "GET":
            handle = self._list_models
        else:
            return False
        try:
            admitted = (_authorization(scope), self.state.api_key)
            if admitted != self._admitted:
                _check_key(*admitted)
                self._admitted = admitted
            await handle(body, send)
        except errors.OpenAIError as exc:
            await exc.response()(scope, receive, send)
        return True

    async def _list_models(self, body: bytes, send: Send) -> None:
        served = tuple(self.state.models.items())
        if self._models[0] != served or not self._models[1]:
            listed = wire.model_list(wire.model(m, created) for m, created in served)
            self._models = (served, dumps(listed).encode("utf-8"))
        await _send_json(send, self._models[1])

    async def _chat(self, body: bytes, send: Send) -> None:
        state = self.state
        key = (body, state.strict, state.expose_reasoning)
        reply = self.replies.get(key)
        if reply is None or reply.model not in state.models:
            plan = _chat_plan(state, body)
            if plan.stream:
                reply = _Reply(plan.model, events=tuple(frame.data for frame in chat.frames(plan)))
            else:
                reply = _Reply(plan.model, dumps(chat.complete(plan)).encode("utf-8"))
            self.replies.put(key, reply)
        if not reply.stream:
            await _send_json(send, reply.body, reply.length)
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", _EVENT_STREAM)]})
        for data in reply.events:
            await send({"type": "http.response.body", "body": data, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


ROUTES = [
    Route("/v1/models", list_models, methods=["GET"]),
    Route("/v1/models/{model:path}", retrieve_model, methods=["GET"]),
    Route("/v1/chat/completions", chat_completions, methods=["POST"]),
    Route("/v1/embeddings", create_embeddings, methods=["POST"]),
    Route("/v1/audio/speech", create_speech, methods=["POST"]),
    Route("/v1/audio/transcriptions", create_transcription, methods=["POST"]),
    Route("/__mock__/journal", journal, methods=["GET"]),
    Route("/__mock__/reset", reset, methods=["POST"]),
]
