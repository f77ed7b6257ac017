"""HTTP handlers of the self-hosted mock: vLLM's `/v1` endpoints, `/health`, `/version` (`/__mock__/*`: skeleton)."""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aigw_conformance.mocks.core import faults, skeleton
from aigw_conformance.mocks.core.skeleton import json_response
from aigw_conformance.mocks.core.tokens import count_message_tokens
from aigw_conformance.mocks.openai import audio, chat, embeddings, params
from aigw_conformance.mocks.selfhosted import catalogue, errors, sampling, wire
from aigw_conformance.mocks.selfhosted.catalogue import Kind, ServedModel
from aigw_conformance.mocks.selfhosted.state import MockState

VLLM_VERSION = "0.10.1"


def mock_state(request: Request) -> MockState:
    return skeleton.state_of(request, MockState)


async def _admit(request: Request) -> tuple[MockState, faults.FaultSet]:
    """Journal the request, apply its header faults, then check the key (`mocks.core.skeleton.admit`)."""
    return mock_state(request), await skeleton.admit(request, errors.PLUMBING)


def _served(state: MockState, model: Any, kind: Kind) -> ServedModel | None:
    """The model a request names, which must serve this endpoint's kind (vLLM's 404 and 400 otherwise)."""
    if not isinstance(model, str) or not model:
        return None  # the reused validation reports a missing model
    served = state.models.listed.get(model)
    if served is None and not state.models.strict:
        served = catalogue.unlisted(model, kind)
    if served is None:
        raise errors.model_not_found(model)
    if served.kind != kind:
        raise errors.unsupported_api(catalogue.API_NAMES[kind])
    return served


def _with(state: MockState, served: ServedModel | None) -> dict[str, ServedModel]:
    """The listed models, and the one a request named (it may be unlisted)."""
    return {**state.models.listed, **({served.id: served} if served is not None else {})}


async def list_models(request: Request) -> Response:
    state, _ = await _admit(request)
    cards = [
        wire.model_card(m.id, m.created, "vllm" if state.owned_by == "vllm" else m.maintainer, m.root,
                        m.max_model_len)
        for m in state.models.values()
    ]
    return json_response({"object": "list", "data": cards})


async def chat_completions(request: Request) -> Response:
    state, faultset = await _admit(request)
    body = params.json_object(await request.body())
    served = _served(state, body.get("model"), "chat")
    extras = sampling.parse(body)
    chat_models = {m.id: m.created for m in catalogue.of_kind(_with(state, served), "chat")}
    plan = chat.parse(body, chat_models, strict=False, expose_reasoning=True,
                      deterministic_ids=state.deterministic_ids)  # vLLM's reasoning_content
    requested = body.get("max_completion_tokens", body.get("max_tokens"))
    prompt = count_message_tokens(plan.messages, catalogue.ENCODING)
    if served is not None and requested is not None and prompt + plan.max_tokens > served.max_model_len:
        raise errors.bad_request(
            f"This model's maximum context length is {served.max_model_len} tokens. However, you requested "
            f"{prompt + plan.max_tokens} tokens ({prompt} in the messages, {plan.max_tokens} in the completion). "
            "Please reduce the length of the messages or completion.", param="max_tokens")
    plan = dataclasses.replace(plan, seed=extras.seed(plan.seed), content_filter=faultset.content_filtered,
                               refusal=faultset.refused, min_output_tokens=faultset.output_tokens)
    return skeleton.answer(plan.stream, lambda: chat.complete(plan), lambda: chat.frames(plan), faultset)


async def create_embeddings(request: Request) -> Response:
    state, _ = await _admit(request)
    body = params.json_object(await request.body())
    served = _served(state, body.get("model"), "embedding")
    return json_response(embeddings.create(body, catalogue.embedding_models(_with(state, served)), strict=False))


async def create_speech(request: Request) -> Response:
    state, _ = await _admit(request)
    body = params.json_object(await request.body())
    served = _served(state, body.get("model"), "speech")
    models = [m.id for m in catalogue.of_kind(_with(state, served), "speech")]
    content, media_type = audio.speech(body, models, audio.VOICES, strict=False)
    return Response(content, media_type=media_type)


async def create_transcription(request: Request) -> Response:
    state, _ = await _admit(request)
    async with request.form() as form:  # parsed once: `audio.transcription` reads the cached form
        served = _served(state, form.get("model"), "transcription")
        models = catalogue.transcription_models(_with(state, served))
        return await audio.transcription(request, models, strict=False)


async def health(request: Request) -> Response:
    return Response(status_code=200)


async def version(request: Request) -> Response:
    return json_response({"version": VLLM_VERSION})


ROUTES = [
    Route("/v1/models", list_models, methods=["GET"]),
    Route("/v1/chat/completions", chat_completions, methods=["POST"]),
    Route("/v1/embeddings", create_embeddings, methods=["POST"]),
    Route("/v1/audio/speech", create_speech, methods=["POST"]),
    Route("/v1/audio/transcriptions", create_transcription, methods=["POST"]),
    Route("/health", health, methods=["GET"]),
    Route("/version", version, methods=["GET"]),
]
