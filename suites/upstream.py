"""A bounded client of the mock providers' control endpoints: find what the gateway sent upstream, script faults."""

# Correlation: a test puts a unique marker (`new_marker()`) into its request (the user message), and the journal
# entry whose body holds it is the upstream request that test caused. The journal is never reset, so tests and
# other users of the mocks do not disturb each other; `?contains=` has the mock filter server-side (the client
# filters again, so an older mock without the filter still works). Faults are set through the control endpoint
# (which works whatever gateway is in front, unlike `x-mock-*` headers it would have to forward) for the mock's
# chat requests only, and removed in a `finally`, so nothing outlives the test (the runner is sequential).

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from aigw_conformance.suites.exchange import Probe
from aigw_conformance.suites.failures import TestSkipped
from aigw_conformance.suites.target import Target

JOURNAL = "/__mock__/journal"
FAULTS = "/__mock__/faults"
PROVIDER_MOCKS: dict[str, str] = {"openai": "openai", "claude": "anthropic", "gemini": "gemini",
                                  "threatwinds": "selfhosted"}
"""The catalogue's provider ID (001 "Supported Providers") → the mock that plays it ([upstream] key); 001:
self-hosted backends are reported under the single `threatwinds` provider ID."""
CHAT_PATHS: dict[str, tuple[str, ...]] = {
    "openai": ("/chat/completions",), "selfhosted": ("/chat/completions",), "anthropic": ("/messages",),
    "gemini": (":generateContent", ":streamGenerateContent"),
}
"""How the chat request's path ends on each mock (a version segment or mount prefix may precede it)."""
CHAT_GLOBS: dict[str, str] = {"openai": "*/chat/completions", "selfhosted": "*/chat/completions",
                              "anthropic": "*/messages", "gemini": "*enerateContent"}
"""A fault rule's `path` glob matching each mock's chat requests only (whole and streamed)."""


class UpstreamError(Exception):
    """A mock's control endpoint could not be used (unreachable, a non-2xx answer, a body that is not JSON)."""


@dataclass(frozen=True)
class UpstreamRequest:
    """One journal entry: what a mock received (`json` is the parsed body, None when it was not JSON)."""

    mock: str
    seq: int
    method: str
    path: str
    query: str
    headers: dict[str, str]
    json: Any

    @property
    def is_chat(self) -> bool:
        return self.method == "POST" and self.path.endswith(CHAT_PATHS.get(self.mock, ()))

    @property
    def betas(self) -> list[str]:
        """The flags of the `anthropic-beta` header(s), sorted (Anthropic's opt-in to beta request fields)."""
        return sorted({flag.strip() for flag in self.headers.get("anthropic-beta", "").split(",") if flag.strip()})

    def to_context(self) -> dict[str, Any]:
        """The form checks read from `exchange.context["upstream"]` (no other header: they may hold credentials)."""
        return {"mock": self.mock, "seq": self.seq, "method": self.method, "path": self.path, "query": self.query,
                "json": self.json, "betas": self.betas}


def new_marker() -> str:
    """A marker unique to one request, safe inside JSON text and a URL query."""
    return f"aigw-{uuid.uuid4().hex}"


class Upstream:
    """The mocks a target declares in `[upstream]`, read and scripted through `probe` (its time and size limits)."""

    def __init__(self, roots: Mapping[str, str], probe: Probe) -> None:
        self.roots, self.probe = dict(roots), probe

    @classmethod
    def of(cls, target: Target, probe: Probe) -> Upstream:
        """The target's mocks; TestSkipped naming the `[upstream]` table when it declares none."""
        if not target.upstream:
            raise TestSkipped("the target names no mock provider the gateway runs over ([upstream] openai = "
                              "\"http://...\", anthropic, gemini, selfhosted): what it sends upstream cannot be read")
        return cls(target.upstream, probe)

    def root(self, mock: str) -> str:
        if mock not in self.roots:
            raise TestSkipped(f"the target names no root URL for the {mock} mock ([upstream] {mock} = \"http://...\")")
        return self.roots[mock]

    def _call(self, method: str, mock: str, path: str, payload: Any = None) -> Any:
        url = self.root(mock) + path
        content = None if payload is None else json.dumps(payload).encode()
        headers = {"content-type": "application/json"} if content is not None else {}
        reply = self.probe.fetch(method, url, headers=headers, content=content, what=f"{method} {url}")
        if not 200 <= reply.status < 300:
            raise UpstreamError(f"{method} {url} answered {reply.status}: {reply.body[:200]!r}")
        try:
            return json.loads(reply.body)
        except ValueError:
            raise UpstreamError(f"{method} {url} answered a body that is not JSON: {reply.body[:200]!r}") from None

    def received(self, mock: str, marker: str) -> list[UpstreamRequest]:
        """Every request `mock` received whose body holds `marker`, oldest first."""
        listing = self._call("GET", mock, f"{JOURNAL}?contains={quote(marker)}")
        data = listing.get("data") if isinstance(listing, dict) else None
        found: list[UpstreamRequest] = []
        for entry in data if isinstance(data, list) else []:
            if not isinstance(entry, dict) or marker not in str(entry.get("body", "")):
                continue
            found.append(UpstreamRequest(mock, int(entry.get("seq") or 0), str(entry.get("method", "")),
                                         str(entry.get("path", "")), str(entry.get("query", "")),
                                         dict(entry.get("headers") or {}), entry.get("json")))
        return found

    def chat_request(self, mock: str, marker: str) -> UpstreamRequest | None:
        """The (last) chat request `mock` received carrying `marker`, or None."""
        chats = [entry for entry in self.received(mock, marker) if entry.is_chat]
        return chats[-1] if chats else None

    def where(self, marker: str) -> dict[str, list[UpstreamRequest]]:
        """Every declared mock → the chat requests it received carrying `marker` (to see where one was routed)."""
        return {mock: [e for e in self.received(mock, marker) if e.is_chat] for mock in self.roots}

    @contextmanager
    def fault(self, mock: str, spec: Mapping[str, Any]) -> Iterator[None]:
        """Set a fault rule on `mock`'s chat requests while the block runs (a gateway retrying meets it again),
        removed on leaving whatever happened, e.g. `fault("openai", {"kind": "status", "status": 500})`."""
        rule = self._call("POST", mock, FAULTS, {"faults": [dict(spec)], "path": CHAT_GLOBS[mock]})
        rule_id = rule.get("id") if isinstance(rule, dict) else None
        if not isinstance(rule_id, int):
            raise UpstreamError(f"the {mock} mock's fault rule has no id: {rule!r}")
        try:
            yield
        finally:
            self._remove(mock, rule_id)

    def _remove(self, mock: str, rule_id: int) -> None:
        """Delete the rule; a 404 means it is gone already (cleared by someone else)."""
        url = f"{self.root(mock)}{FAULTS}/{rule_id}"
        reply = self.probe.fetch("DELETE", url, headers={}, what=f"DELETE {url}")
        if reply.status not in (200, 404):
            raise UpstreamError(f"DELETE {url} answered {reply.status}: {reply.body[:200]!r}")
