"""POST /embeddings, and the upstream plumbing the embeddings and audio endpoints share."""

# 000: "Embedding and audio models (under the threatwinds provider) use their dedicated endpoints (/embeddings,
# /audio/*) and do not support /chat/completions". Every provider serving these models here (OpenAI, the
# vLLM-style threatwinds backends) speaks OpenAI's wire format, so the request is forwarded as OpenAI's
# `POST {upstream}/embeddings` with the model's upstream name; `dimensions` and `encoding_format` (float or
# base64) pass through, and the answer comes back under the requested model ID. A chat or audio model here, or
# an embedding model on another endpoint, is a 400 naming the endpoint it belongs to.

from __future__ import annotations

import asyncio
import base64
import functools
import json
import struct
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from starlette.requests import Request
from starlette.responses import Response

from aigw_conformance.mocks.reference.auth import authenticate
from aigw_conformance.mocks.reference.catalogue import WIRE_FORMATS, ModelEntry, find
from aigw_conformance.mocks.reference.errors import GatewayError, provider_error
from aigw_conformance.mocks.reference.settings import GatewaySettings
from aigw_conformance.mocks.reference.state import GatewayState
from aigw_conformance.mocks.reference.validation import read_json, schema_error
from aigw_conformance.spec.loader import request_body_schema, validator_for_schema

EMBEDDINGS_PATH = "/api/ai/v1/embeddings"
FORWARDED = ("input", "encoding_format", "dimensions", "user")  # EmbeddingRequest's fields besides `model`


@functools.cache
def validator(path: str) -> Draft202012Validator:
    """The spec's JSON request body validator of POST `path`."""
    return validator_for_schema(request_body_schema(path, "post"))


def checked_json(body: Any, path: str) -> dict[str, Any]:
    """`body` validated against the spec's request schema of POST `path`; 400 naming the parameter otherwise."""
    problem = schema_error(validator(path).iter_errors(body))
    if problem is not None:
        raise problem
    if not isinstance(body, dict):
        raise GatewayError(400, "request body must be a JSON object", code="invalid_parameter")
    return body


def model_for(model_id: Any, endpoint: str, settings: GatewaySettings) -> ModelEntry:
    """The catalogue model a request names, which must serve `endpoint` ("embeddings", "audio/speech", ...):
    404 for an unknown model, 400 for a model of another endpoint."""
    entry = find(model_id, settings.upstreams) if isinstance(model_id, str) else None
    if entry is None:
        raise GatewayError(404, f"model {model_id!r} not found", code="model_not_found", param="model")
    if entry.endpoint != endpoint:
        serves = "/chat/completions" if entry.endpoint == "chat" else "/" + entry.endpoint
        raise GatewayError(400, f"model {entry.id!r} does not support /{endpoint}: it is served on {serves} "
                           f"(capabilities: {', '.join(entry.capabilities)})", code="unsupported_model",
                           param="model")
    if WIRE_FORMATS.get(entry.provider, "openai") != "openai":  # a catalogue error, not the caller's
        raise GatewayError(500, f"provider {entry.provider} has no /{endpoint} endpoint", code="internal_error")
    return entry


def upstream_message(reply: httpx.Response) -> str:
    """The message of an upstream error: OpenAI's {"error": {"message"}}, vLLM's {"message"} or {"detail"}."""
    try:
        body: Any = reply.json()
    except ValueError:
        return reply.text[:300] or reply.reason_phrase
    if isinstance(body, dict):
        detail = body.get("error")
        message = detail.get("message") if isinstance(detail, dict) else detail
        message = message or body.get("message") or body.get("detail")
        return str(message or body)[:300]
    return str(body)[:300]


class Upstream:
    """Sends one request to the model's provider with its credentials and the forwarded `x-mock-*` headers,
    and reads the whole answer, all within `upstream_timeout_s` (a slow or dripping upstream is a 500)."""

    def __init__(self, state: GatewayState) -> None:
        self.state = state

    def headers(self, request: Request, provider: str = "openai") -> dict[str, str]:
        settings = self.state.settings
        headers = {name: value for name, value in request.headers.items() if name in settings.forward_headers}
        headers["authorization"] = f"Bearer {settings.upstream_key(provider)}"
        return headers

    async def send(self, entry: ModelEntry, path: str, request: Request, **content: Any) -> httpx.Response:
        """POST `{upstream}/{path}` (`content`: httpx's json=, data=, files=); a 200 answer, read whole. A
        transport failure, timeout or non-200 answer is raised as the documented error (400 stays 400)."""
        settings = self.state.settings
        client = self.state.http()
        outgoing = client.build_request("POST", f"{settings.upstreams[entry.provider]}/{path}",
                                        headers=self.headers(request, entry.provider), **content)
        try:
            async with asyncio.timeout(settings.upstream_timeout_s):
                reply = await client.send(outgoing)
        except TimeoutError:
            raise provider_error(entry.provider, f"Timeout: no complete answer within "
                                                 f"{settings.upstream_timeout_s:g}s") from None
        except httpx.HTTPError as exc:
            raise provider_error(entry.provider, f"{type(exc).__name__}: {exc}" if str(exc)
                                 else type(exc).__name__) from None
        if reply.status_code != 200:
            raise provider_error(entry.provider, upstream_message(reply), reply.status_code)
        return reply


def relabelled(
    reply: httpx.Response, entry: ModelEntry, request: dict[str, Any], settings: GatewaySettings
) -> bytes:
    """The upstream embeddings list under the requested model ID; a provider error if it is not one."""
    try:
        body: Any = json.loads(reply.content)
    except ValueError:
        raise provider_error(entry.provider, "embeddings response is not JSON") from None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or body.get("object") != "list":
        raise provider_error(entry.provider, "response is not an embeddings list")
    body["model"] = request["model"]
    return json.dumps(with_defects(body, request, settings), separators=(",", ":")).encode()


def upstream_payload(body: dict[str, Any], entry: ModelEntry, settings: GatewaySettings) -> dict[str, Any]:
    """The request as the provider gets it: its upstream model name and the forwarded fields."""
    payload = {"model": entry.upstream_model, **{key: body[key] for key in FORWARDED if key in body}}
    if settings.has("embeddings-dimensions-ignored"):
        payload.pop("dimensions", None)
    if settings.has("embeddings-base64-float64") and payload.get("encoding_format") == "base64":
        payload["encoding_format"] = "float"  # encoded here, in with_defects, with the wrong width
    return payload


def with_defects(body: dict[str, Any], request: dict[str, Any], settings: GatewaySettings) -> dict[str, Any]:
    """The answer as a defective gateway rewrites it (the clean reference returns `body` untouched)."""
    if settings.has("embeddings-base64-float64") and request.get("encoding_format") == "base64":
        for item in body["data"]:
            if isinstance(item, dict) and isinstance(item.get("embedding"), list):
                packed = struct.pack(f"<{len(item['embedding'])}d", *item["embedding"])
                item["embedding"] = base64.b64encode(packed).decode("ascii")
    if settings.has("embeddings-order-shuffled"):
        body["data"] = body["data"][::-1]  # gathered in completion order, not input order
    if settings.has("embeddings-usage-missing"):
        body.pop("usage", None)
    return body


class EmbeddingsEndpoint:
    def __init__(self, state: GatewayState) -> None:
        self.state = state
        self.upstream = Upstream(state)

    async def __call__(self, request: Request) -> Response:
        settings = self.state.settings
        authenticate(request.headers, settings)
        body = checked_json(await read_json(request, settings), EMBEDDINGS_PATH)
        entry = model_for(body["model"], "embeddings", settings)
        reply = await self.upstream.send(entry, "embeddings", request, json=upstream_payload(body, entry, settings))
        return Response(relabelled(reply, entry, body, settings), media_type="application/json")
