"""Exact-path dispatch for the gateway's hot routes: Starlette's own routing decision, taken once at start-up."""

# Starlette matches every request against the route tree (the store's routes, the /api/ai/v1 mount, its routes:
# regular expressions and scope copies at each level). For the few (method, path) pairs the gateway serves most,
# `HotPaths` asks the same routes once, when the app is built, which endpoint they lead to and which scope entries
# routing adds on the way (router, route, endpoint, root_path, app_root_path, path_params), and then hands such
# a request straight to that endpoint with those entries. Exception handling is unchanged: the endpoint is still
# Starlette's `request_response` app, inside the app's ServerErrorMiddleware and ExceptionMiddleware, unless
# `apps` names a plain ASGI app doing the same for that pair (`fastchat.ChatApp`), which then runs there instead.

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Match, Mount, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

Resolved = tuple[dict[str, Any], ASGIApp]


def resolve(router: Router, method: str, path: str) -> Resolved | None:
    """The scope entries routing adds for `method path` (no root_path) and the endpoint app it reaches; None
    unless the walk is plain Routers, Mounts and one full-matching Route without path parameters."""
    scope: dict[str, Any] = {"type": "http", "method": method, "path": path, "root_path": ""}
    added: dict[str, Any] = {"router": router}
    current = router
    while current.middleware_stack == current.app:  # a router with middleware of its own is left alone
        for route in current.routes:
            match, child = route.matches({**scope, **added})
            if match is Match.FULL:
                break
        else:
            return None
        added.update(child, route=route)
        if added.get("path_params"):
            return None
        if type(route) is Route:
            return added, route.app
        if type(route) is not Mount or not isinstance(route.app, Router):
            return None
        current = route.app
    return None


class HotPaths:
    """Takes the place of a Router's middleware stack; requests for the listed (method, path) pairs skip the
    matching, everything else (and anything under a root_path) is routed as before."""

    def __init__(self, router: Router, pairs: Iterable[tuple[str, str]],
                 apps: Mapping[tuple[str, str], ASGIApp] | None = None) -> None:
        self.routed = router.middleware_stack
        self.hot: dict[tuple[str, str], Resolved] = {}
        for method, path in pairs:
            resolved = resolve(router, method, path)
            if resolved is not None:
                self.hot[method, path] = (resolved[0], (apps or {}).get((method, path), resolved[1]))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path") and "router" not in scope:
            hot = self.hot.get((scope["method"], scope["path"]))
            if hot is not None:
                entries, endpoint = hot
                scope.update(entries)
                scope["path_params"] = {}
                await endpoint(scope, receive, send)
                return
        await self.routed(scope, receive, send)


def install(app: Starlette, pairs: Iterable[tuple[str, str]],
            apps: Mapping[tuple[str, str], ASGIApp] | None = None) -> HotPaths:
    """Put `HotPaths` for `pairs` in front of `app`'s routing (after its routes are all added); `apps` replace
    the endpoint routing reaches for their pairs."""
    hot = HotPaths(app.router, pairs, apps)
    app.router.middleware_stack = hot
    return hot
