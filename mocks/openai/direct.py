"""The OpenAI mock's hot path: chat and model-list answers memoised as wire bytes, served without Starlette."""

from __future__ import annotations

import threading
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from aigw_conformance.mocks.core.control import read_body, replay
from aigw_conformance.mocks.core.journal import route_path
from aigw_conformance.mocks.core.rules import FaultRules
from aigw_conformance.mocks.core.sse import dumps
from aigw_conformance.mocks.openai import chat, errors, wire
from aigw_conformance.mocks.openai.catalogue import ModelSpec
from aigw_conformance.mocks.openai.errors import check_key, request_id
from aigw_conformance.mocks.openai.routes import _chat_plan
from aigw_conformance.mocks.openai.state import MockState
from aigw_conformance.mocks.openai.validation import chat_identity

CHAT_PATH = "/v1/chat/completions"
MODELS_PATH = "/v1/models"
_JSON = b"application/json"
_EVENT_STREAM = b"text/event-stream; charset=utf-8"  # what Starlette makes of media type text/event-stream

Headers = list[tuple[bytes, bytes]]
_HOT = {("POST", CHAT_PATH): ("POST", CHAT_PATH), ("GET", MODELS_PATH): ("GET", MODELS_PATH)}
"""(method, route path) of the requests `Direct` answers -> the same, as the strings the journal keeps."""
Settings = tuple[bytes, bool, bool, bool, bool]
"""What a memoised chat answer is keyed on: the raw request body, `strict`, `expose_reasoning`, `reasoning_limits`
and `deterministic_ids`."""
_FRESH = bytes(32)  # `chat_identity`'s digest when the ids are fresh (only its length matters)


class Reply:
    """An answer as it goes on the wire: a JSON body, or the events of a stream (`stream`); `head` is its
    response headers as its route sends them (the app's middleware then adds `x-request-id`); `stamp`: its `id`
    and `"created":N` as bytes when they are fresh per request (`restamped` gives each use its own)."""

    __slots__ = ("body", "events", "head", "model", "request", "stamp", "stream")

    def __init__(
        self, model: str, body: bytes = b"", events: tuple[bytes, ...] | None = None, request: bytes = b"",
        stamp: tuple[bytes, bytes] | None = None,
    ) -> None:
        self.model, self.stream, self.body, self.events = model, events is not None, body, events or ()
        self.request = request  # the request body it answers (journaled for each request it answers)
        self.stamp = stamp
        self.head: Headers = [(b"content-type", _EVENT_STREAM)] if self.stream else [
            (b"content-length", str(len(body)).encode("latin-1")), (b"content-type", _JSON)]

    def restamped(self) -> Reply:
        """This answer with a fresh `id` and the current `created` spliced in (itself if its ids are derived)."""
        if self.stamp is None:
            return self
        old_id, old_created = self.stamp
        id, created = chat_identity(_FRESH, deterministic=False)
        stamp = (id.encode("ascii"), _created(created))

        def splice(data: bytes) -> bytes:
            return data.replace(old_id, stamp[0]).replace(old_created, stamp[1])

        if self.stream:
            return Reply(self.model, events=tuple(map(splice, self.events)), request=self.request, stamp=stamp)
        return Reply(self.model, splice(self.body), request=self.request, stamp=stamp)

    @property
    def size(self) -> int:
        return len(self.body) + sum(map(len, self.events))

    async def send(self, send: Send, head: Headers) -> None:
        """Send the answer with the response headers `head` (`self.head`, perhaps with more after it)."""
        await send({"type": "http.response.start", "status": 200, "headers": head})
        if not self.stream:
            await send({"type": "http.response.body", "body": self.body})
            return
        for data in self.events:  # one ASGI message (one chunk on the wire) per event, as the route sends them
            await send({"type": "http.response.body", "body": data, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class Replies:
    """Chat answers memoised by the raw request body and the settings an answer depends on (`Settings`; the
    model list only through the request's model, checked on every hit). An answer is a function of the body but
    for its `id` and `created` (spliced in fresh per use, `Reply.restamped`), so a repeated body (a load test's
    fixed prompt) costs a lookup, not a generation. Bounded: at most
    MAX_ENTRIES answers of at most MAX_ENTRY_BYTES (body and answer) each, oldest first out."""

    MAX_ENTRIES = 512
    MAX_ENTRY_BYTES = 64 * 1024

    def __init__(self) -> None:
        self._items: dict[Settings, Reply] = {}
        self._lock = threading.Lock()

    def get(self, key: Settings) -> Reply | None:
        return self._items.get(key)

    def put(self, key: Settings, reply: Reply) -> None:
        if len(key[0]) + reply.size > self.MAX_ENTRY_BYTES:
            return
        with self._lock:
            while len(self._items) >= self.MAX_ENTRIES:
                del self._items[next(iter(self._items))]
            self._items[key] = reply

    def __len__(self) -> int:
        return len(self._items)


def _created(created: int) -> bytes:
    """`created` as the mock's compact JSON writes it (a key no JSON string on the wire can contain unescaped)."""
    return b'"created":%d' % created


def _authorization(scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return bytes(value)
    return b""


def _memo_key(body: bytes, state: MockState) -> Settings:
    """What a memoised chat answer depends on besides the model still being served."""
    return body, state.strict, state.expose_reasoning, state.reasoning_limits, state.deterministic_ids


class Direct:
    """The hot endpoints (`POST /v1/chat/completions`, `GET /v1/models`) answered from the ASGI scope and the
    whole body, with the same bytes as their routes. Two ways in:

    - `__call__`, the control middleware's shortcut (`mocks.core.control.Direct`): a request no fault applies
      to, already journaled; it validates, generates and memoises (`Replies`), without Starlette's routing.
    - `front`, in front of the whole app: a request whose answer is memoised and that nothing can change (no
      `x-mock-*` header, no fault rule, the key last accepted, the model still served) is journaled and
      answered here, `x-request-id` included; any other request goes to the app, its body replayed."""

    def __init__(self, state: MockState) -> None:
        self.state = state
        self.replies = Replies()
        self.rules: FaultRules | None = None  # the control endpoint's rules; `front` serves nothing without them
        self._models: tuple[tuple[tuple[str, ModelSpec], ...], Reply | None] = ((), None)
        self._admitted: tuple[bytes, str | None] | None = None  # the last (authorization, api_key) accepted
        self._headers: tuple[tuple[bytes, bytes], ...] = ()  # the last request headers `front` journaled

    async def __call__(self, scope: Scope, path: str, body: bytes, receive: Receive, send: Send) -> bool:
        method = scope["method"]
        handle: Callable[[bytes], Reply]
        if path == CHAT_PATH and method == "POST":
            handle = self._chat
        elif path == MODELS_PATH and method == "GET":
            handle = self._model_list
        else:
            return False
        try:
            admitted = (_authorization(scope), self.state.api_key)
            if admitted != self._admitted:
                check_key(admitted[0].decode("latin-1"), admitted[1])
                self._admitted = admitted
            reply = handle(body)
        except errors.OpenAIError as exc:
            await exc.response()(scope, receive, send)
            return True
        await reply.send(send, list(reply.head))  # a copy: middleware may add headers to the list in place
        return True

    def _model_list(self, body: bytes) -> Reply:
        served = tuple(self.state.models.items())
        reply = self._models[1]
        if reply is None or self._models[0] != served:
            listed = wire.model_list(wire.model(m, spec.created) for m, spec in served)
            reply = Reply("", dumps(listed).encode("utf-8"))
            self._models = (served, reply)
        return reply

    def _chat(self, body: bytes) -> Reply:
        state = self.state
        key = _memo_key(body, state)
        reply = self.replies.get(key)
        if reply is None or reply.model not in state.models:
            plan = _chat_plan(state, body)
            stamp = None if state.deterministic_ids else (plan.id.encode("ascii"), _created(plan.created))
            if plan.stream:
                reply = Reply(plan.model, events=tuple(frame.data for frame in chat.frames(plan)), request=body,
                              stamp=stamp)
            else:
                reply = Reply(plan.model, dumps(chat.complete(plan)).encode("utf-8"), request=body, stamp=stamp)
            self.replies.put(key, reply)
            return reply
        return reply.restamped()

    async def front(self, scope: Scope, receive: Receive, send: Send, app: ASGIApp) -> None:
        """Serve an HTTP request from memory when its answer is known and nothing can change it, else pass
        it to `app` (the whole mock: middleware, journal, faults, routes)."""
        hot = _HOT.get((scope["method"], route_path(scope) if scope.get("root_path") else scope["path"]))
        if hot is None:
            await app(scope, receive, send)
            return
        method, path = hot
        body = await read_body(receive)
        reply = self._memoised(scope, path, body)
        if reply is None:
            await app(scope, replay(body, receive), send)
            return
        # The journal keeps what this request received, but in objects it already holds when they are equal
        # (the method, path and body, and the headers of the last request): a load test's identical requests
        # then cost the journal one small tuple each, not a copy of every header.
        headers = tuple(scope["headers"])
        if headers == self._headers:
            headers = self._headers
        else:
            self._headers = headers
        kept = reply.request if body == reply.request else body  # a model list's GET may carry a body
        self.state.journal.append(method, path, scope.get("query_string", b"").decode("latin-1"), headers, kept)
        await reply.send(send, [*reply.head, (b"x-request-id", request_id())])

    def _memoised(self, scope: Scope, path: str, body: bytes) -> Reply | None:
        """The memoised answer to this request if nothing can make it differ: None sends it the long way."""
        if self.rules is None or self.rules.active:
            return None
        authorization: bytes | None = None
        for name, value in scope["headers"]:
            if name[:7] == b"x-mock-":
                return None
            if name == b"authorization" and authorization is None:
                authorization = value
        state = self.state
        if self._admitted is None or authorization != self._admitted[0] or state.api_key != self._admitted[1]:
            return None
        if path == MODELS_PATH:
            return self._models[1] if self._models[0] == tuple(state.models.items()) else None
        reply = self.replies.get(_memo_key(body, state))
        return reply.restamped() if reply is not None and reply.model in state.models else None

