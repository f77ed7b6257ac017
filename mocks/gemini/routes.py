"""HTTP handlers of the Gemini mock: `/{version}/models[/{model}[:method]]` (`/__mock__/*`: the skeleton)."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aigw_conformance.mocks.core import faults, skeleton
from aigw_conformance.mocks.core.skeleton import json_response
from aigw_conformance.mocks.core.sse import EventStreamResponse
from aigw_conformance.mocks.gemini import catalogue, embed, errors, generate, stream, validation, wire
from aigw_conformance.mocks.gemini.fields import check_known, field
from aigw_conformance.mocks.gemini.state import MockState

VERSION = re.compile(r"v\d+(?:(?:alpha|beta)\d*)?")
"""Any API version segment: v1, v1beta, v1alpha, v2beta3, ..."""


def mock_state(request: Request) -> MockState:
    return skeleton.state_of(request, MockState)


async def _admit(request: Request) -> tuple[MockState, faults.FaultSet]:
    """Journal the request, apply its header faults, check the key (`mocks.core.skeleton.admit`), then the
    version segment."""
    plan = await skeleton.admit(request, errors.PLUMBING)
    if not VERSION.fullmatch(request.path_params["version"]):
        raise errors.not_found(request.method, request.url.path)
    return mock_state(request), plan


async def _body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError:
        raise errors.invalid_json("Unexpected token.") from None


def _model(state: MockState, request: Request, model_id: str, method: str) -> wire.Model:
    model = state.models.get(model_id.removeprefix("models/"))
    if model is None or not catalogue.supports(model, method):
        raise errors.model_not_found(model_id, request.path_params["version"], method)
    return model


async def list_models(request: Request) -> Response:
    state, _ = await _admit(request)
    return json_response({"models": list(state.models.values())})


async def model_resource(request: Request) -> Response:
    """`GET .../models/{model}` or `POST .../models/{model}:{method}`."""
    state, plan = await _admit(request)
    model_id, colon, method = request.path_params["target"].rpartition(":")
    if request.method == "GET" and colon:
        raise errors.not_found(request.method, request.url.path)
    if request.method == "GET":
        model = state.models.get(request.path_params["target"])
        if model is None:
            raise errors.model_not_found(request.path_params["target"], request.path_params["version"], "get")
        return json_response(model)
    if not colon or method not in HANDLERS:
        raise errors.not_found(request.method, request.url.path)
    model = _model(state, request, model_id, method)
    return await HANDLERS[method](request, state, model, plan)


async def generate_content(
    request: Request, state: MockState, model: wire.Model, fault_plan: faults.FaultSet
) -> Response:
    plan = validation.parse(await _body(request), _id(model), model["outputTokenLimit"], strict=state.strict,
                            deterministic_ids=state.deterministic_ids)
    return json_response(generate.respond(dataclasses.replace(plan, safety_block=fault_plan.content_filtered,
                                                              prompt_blocked=fault_plan.refused,
                                                              min_output_tokens=fault_plan.output_tokens)))


async def stream_generate_content(
    request: Request, state: MockState, model: wire.Model, fault_plan: faults.FaultSet
) -> Response:
    plan = validation.parse(await _body(request), _id(model), model["outputTokenLimit"], strict=state.strict,
                            deterministic_ids=state.deterministic_ids)
    plan = dataclasses.replace(plan, safety_block=fault_plan.content_filtered, prompt_blocked=fault_plan.refused,
                               min_output_tokens=fault_plan.output_tokens)
    if request.query_params.get("alt") == "sse":
        return EventStreamResponse(stream.sse_frames(plan), pacer=fault_plan.before_chunk)
    response = EventStreamResponse(stream.json_array_frames(plan), pacer=fault_plan.before_chunk)
    response.headers["content-type"] = "application/json; charset=UTF-8"
    return response


async def count_tokens(request: Request, state: MockState, model: wire.Model, _: faults.FaultSet) -> Response:
    body = await _body(request)
    if not isinstance(body, dict):
        raise errors.invalid_json("Expected a JSON object (CountTokensRequest).")
    check_known(body, ("contents", "generateContentRequest"), None, state.strict)
    inner = field(body, "generateContentRequest")
    if inner is not None:
        plan = validation.parse(inner, _id(model), model["outputTokenLimit"], strict=state.strict,
                            deterministic_ids=state.deterministic_ids)
        total = generate.prompt_tokens(plan.contents, plan.system, plan.tools)
    else:
        total = generate.prompt_tokens(validation.contents(field(body, "contents"), strict=state.strict))
    counted: wire.CountTokensResponse = {"totalTokens": total}
    return json_response(counted)


async def embed_content(request: Request, state: MockState, model: wire.Model, _: faults.FaultSet) -> Response:
    return json_response(embed.embed(await _body(request), _id(model), strict=state.strict))


async def batch_embed_contents(request: Request, state: MockState, model: wire.Model, _: faults.FaultSet) -> Response:
    return json_response(embed.batch(await _body(request), _id(model), strict=state.strict))


def _id(model: wire.Model) -> str:
    return model["name"].removeprefix("models/")


HANDLERS = {
    "generateContent": generate_content, "streamGenerateContent": stream_generate_content,
    "countTokens": count_tokens, "embedContent": embed_content, "batchEmbedContents": batch_embed_contents,
}


ROUTES = [
    Route("/{version}/models", list_models, methods=["GET"]),
    Route("/{version}/models/{target}", model_resource, methods=["GET", "POST"]),
]
