"""The seed documents' examples as the checks see them: each response, stream and error body as an Exchange."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from aigw_conformance.spec.examples import Example, seed_examples
from aigw_conformance.spec.loader import API_PREFIXES
from aigw_conformance.suites.exchange import Exchange


@dataclass(frozen=True)
class Pairing:
    """An answer example and the request example it answers. `status` and `media_type` are what the document
    says around it (002: "Status code: 400"; "the response is a Server-Sent Events stream"); `stream` sets
    `stream: true` on a request body shown without it (002's stream answers its own request with stream on)."""

    answer: str
    request: str
    status: int = 200
    media_type: str = "application/json"
    stream: bool = False


PAIRINGS = (
    Pairing("000:L156", request="000:L23"),  # Success Response (200 OK) answers the Request Body above it
    Pairing("000:L301", request="000:L288"),  # Example 1: Simple Question, its cURL and "Response:"
    Pairing("000:L382", request="000:L351"),  # Example 4: JSON Response Format, its cURL and "Response:"
    Pairing("001:L221", request="001:L84", media_type="text/event-stream"),  # "Response chunks are sent as SSE"
    Pairing("002:L30", request="002:L6"),  # Response (Non-Streaming) to the Request
    Pairing("002:L55", request="002:L6", media_type="text/event-stream", stream=True),  # "When stream: true"
    Pairing("002:L61", request="002:L6", status=400),  # Guardrail Blocking, "Status code: 400"
)


def by_id() -> dict[str, Example]:
    return {example.id: example for example in seed_examples()}


def api_and_path(url: str) -> tuple[str, str]:
    """The API an example's URL is on, and its path below that API's base ("/chat/completions")."""
    path = urlsplit(url).path
    for api, prefix in API_PREFIXES.items():
        if path.startswith(prefix + "/"):
            return api, path[len(prefix):]
    raise ValueError(f"{url}: on neither API")


def _request(example: Example) -> tuple[str, str, dict[str, str], Any]:
    """(api, path, headers, body) of a request example: a cURL as shown, or a bare body on its document's
    endpoint (000 and 001: the AI API's chat completions; 002: the client gateway's)."""
    if example.kind == "curl":
        api, path = api_and_path(example.url)
        return api, path, dict(example.headers), example.value
    api = "client" if example.seed.startswith("002") else "ai"
    return api, "/chat/completions", {"Content-Type": "application/json"}, example.value


def _body(answer: Example) -> bytes:
    if answer.kind == "stream":
        return b"".join(f"data: {payload}\n\n".encode() for payload in answer.value)
    return json.dumps(answer.value).encode()


def exchange_for(pairing: Pairing, examples: dict[str, Example]) -> Exchange:
    """The Exchange of one answer example: its request's headers and body, the answer's shown headers (a
    Content-Type the document names in words where it shows none) and body."""
    answer, asked = examples[pairing.answer], examples[pairing.request]
    api, path, request_headers, body = _request(asked)
    if pairing.stream:
        body = {**body, "stream": True}
    headers = httpx.Headers(answer.headers)
    headers.setdefault("content-type", pairing.media_type)
    return Exchange(api=api, operation=f"POST {path}", method="POST", url=f"https://example{path}",
                    request_headers=request_headers, request_json=body, status=pairing.status, headers=headers,
                    body=_body(answer), elapsed_s=0.0, label=f"{answer.id} replayed")
