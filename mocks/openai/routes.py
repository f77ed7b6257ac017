"""HTTP handlers of the OpenAI mock: models, chat completions, embeddings, audio (`/__mock__/*`: the skeleton)."""

from __future__ import annotations

import dataclasses
import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aigw_conformance.mocks.core import faults, skeleton
from aigw_conformance.mocks.core.skeleton import json_response
from aigw_conformance.mocks.openai import audio, catalogue, chat, embeddings, errors, params, wire
from aigw_conformance.mocks.openai.state import MockState


def mock_state(request: Request) -> MockState:
    return skeleton.state_of(request, MockState)


async def _admit(request: Request) -> tuple[MockState, faults.FaultSet]:
    """Journal the request, apply its header faults, then check the key (`mocks.core.skeleton.admit`)."""
    return mock_state(request), await skeleton.admit(request, errors.PLUMBING)


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
                      reasoning_limits=state.reasoning_limits, deterministic_ids=state.deterministic_ids)


async def chat_completions(request: Request) -> Response:
    state, plan = await _admit(request)
    chat_plan = _chat_plan(state, await request.body())
    if plan.content_filtered:
        chat_plan = dataclasses.replace(chat_plan, content_filter=True)
    if plan.refused:
        chat_plan = dataclasses.replace(chat_plan, refusal=True)
    if plan.output_tokens:
        chat_plan = dataclasses.replace(chat_plan, min_output_tokens=plan.output_tokens)
    return skeleton.answer(chat_plan.stream, lambda: chat.complete(chat_plan), lambda: chat.frames(chat_plan), plan)


async def create_embeddings(request: Request) -> Response:
    state, _ = await _admit(request)
    models = catalogue.embedding_models(strict=state.models.strict)
    return json_response(embeddings.create(params.json_object(await request.body()), models, strict=state.strict))


async def create_speech(request: Request) -> Response:
    state, _ = await _admit(request)
    models = catalogue.speech_models(strict=state.models.strict)
    content, media_type = audio.speech(params.json_object(await request.body()), models, strict=state.strict)
    return Response(content, media_type=media_type)


async def create_transcription(request: Request) -> Response:
    state, _ = await _admit(request)
    return await audio.transcription(request, catalogue.transcription_models(strict=state.models.strict),
                                     strict=state.strict)


ROUTES = [
    Route("/v1/models", list_models, methods=["GET"]),
    Route("/v1/models/{model:path}", retrieve_model, methods=["GET"]),
    Route("/v1/chat/completions", chat_completions, methods=["POST"]),
    Route("/v1/embeddings", create_embeddings, methods=["POST"]),
    Route("/v1/audio/speech", create_speech, methods=["POST"]),
    Route("/v1/audio/transcriptions", create_transcription, methods=["POST"]),
]
