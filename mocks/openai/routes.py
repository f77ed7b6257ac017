"""HTTP handlers of the OpenAI mock: models, chat completions and the `/__mock__` journal endpoints."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aigw_conformance.mocks.core import faults
from aigw_conformance.mocks.core.sse import EventStreamResponse, dumps
from aigw_conformance.mocks.openai import audio, chat, embeddings, errors, params, wire
from aigw_conformance.mocks.openai.state import MockState


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(dumps(payload), status, media_type="application/json")


def mock_state(request: Request) -> MockState:
    state: MockState = request.app.state.mock
    return state


def _authorize(request: Request, api_key: str | None) -> None:
    check_key(request.headers.get("authorization", ""), api_key)


def check_key(authorization: str, api_key: str | None) -> None:
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
    return json_response(wire.model_list(wire.model(m, spec.created) for m, spec in state.models.items()))


async def retrieve_model(request: Request) -> Response:
    state, _ = await _admit(request)
    model_id = request.path_params["model"]
    spec = state.models.get(model_id)
    if spec is None:
        raise errors.model_not_found(model_id)
    return json_response(wire.model(model_id, spec.created))


def _chat_plan(state: MockState, raw: bytes) -> chat.ChatPlan:
    try:
        body = json.loads(raw)
    except ValueError:
        raise errors.invalid_json() from None
    # `expose_reasoning` ("reasoning_content" mode, vLLM style): a MockState setting, off unless configured
    return chat.parse(body, state.models, strict=state.strict, expose_reasoning=state.expose_reasoning,
                      reasoning_limits=state.reasoning_limits)


async def chat_completions(request: Request) -> Response:
    state, plan = await _admit(request)
    chat_plan = _chat_plan(state, await request.body())
    if plan.content_filtered:
        chat_plan = dataclasses.replace(chat_plan, content_filter=True)
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
