"""Routing under /store/: names decoded from the raw path, so a collection or key may hold any character."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]


def _decoded(segment: bytes) -> str:
    return unquote_to_bytes(segment).decode("utf-8", errors="replace")


class StoreRoute(BaseRoute):
    """`<prefix><collection>` and `<prefix><collection>/<key>`, each percent-decoded from the raw path.

    Starlette's path patterns cannot do this: they route on the decoded path (an encoded slash in a name
    splits it) and their `.*` stops at a newline. Here the collection ends at the first raw slash and the key
    is the rest, so `a%2Fb/c/d` is collection `a/b`, key `c/d`; an empty name matches nothing (a 404)."""

    def __init__(self, prefix: str, collection: Mapping[str, Endpoint], record: Mapping[str, Endpoint]) -> None:
        self.prefix = prefix.rstrip("/") + "/"
        self.collection, self.record = dict(collection), dict(record)

    def _names(self, scope: Scope) -> tuple[str, str | None] | None:
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        path = path[len(root):] if root and path.startswith(root) else path
        if not path.startswith(self.prefix):
            return None
        raw: bytes = scope.get("raw_path") or b""
        at = raw.find(self.prefix.encode())
        if at >= 0:
            first, slash, rest = raw[at + len(self.prefix):].partition(b"/")
            collection, key = _decoded(first), _decoded(rest)
        else:  # no raw path from the server: the decoded one, where a slash always separates
            collection, separator, key = path[len(self.prefix):].partition("/")
            slash = separator.encode()
        if not collection or (slash and not key):
            return None
        return collection, key if slash else None

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        names = self._names(scope) if scope["type"] == "http" else None
        if names is None:
            return Match.NONE, {}
        collection, key = names
        params: dict[str, Any] = {"collection": collection} if key is None else {"collection": collection, "key": key}
        return Match.FULL, {"path_params": params}

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        table = self.record if "key" in scope["path_params"] else self.collection
        endpoint = table.get(scope["method"])
        if endpoint is None:
            raise HTTPException(405, headers={"allow": ", ".join(table)})
        response = await endpoint(Request(scope, receive))
        await response(scope, receive, send)
