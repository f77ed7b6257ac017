"""HTTP handlers of the Anthropic mock: messages, count_tokens and models (`/__mock__/*`: the skeleton)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aigw_conformance.mocks.anthropic import errors, messages, validation, wire
from aigw_conformance.mocks.anthropic.state import MockState
from aigw_conformance.mocks.core import faults, skeleton
from aigw_conformance.mocks.core.skeleton import json_response

MAX_REQUEST_BYTES = 32 * 1024 * 1024
"""Anthropic's documented request size limit of the Messages API."""


def mock_state(request: Request) -> MockState:
    return skeleton.state_of(request, MockState)


async def _admit(request: Request) -> tuple[MockState, faults.FaultSet]:
    """Journal the request, apply its header faults, then check the key (`mocks.core.skeleton.admit`)."""
    return mock_state(request), await skeleton.admit(request, errors.PLUMBING)


async def _body(request: Request) -> Any:
    raw = await request.body()
    if len(raw) > MAX_REQUEST_BYTES:
        raise errors.request_too_large(MAX_REQUEST_BYTES)
    try:
        return json.loads(raw)
    except ValueError:
        raise errors.invalid_json() from None


def betas(request: Request) -> frozenset[str]:
    """The flags of the request's `anthropic-beta` headers (comma-separated, possibly repeated)."""
    return frozenset(flag.strip() for value in request.headers.getlist("anthropic-beta") for flag in value.split(","))


async def create_message(request: Request) -> Response:
    state, fault_plan = await _admit(request)
    plan = validation.parse(await _body(request), state.models, strict=state.strict, betas=betas(request),
                            reasoning_limits=state.reasoning_limits, deterministic_ids=state.deterministic_ids)
    if fault_plan.content_filtered:
        plan = dataclasses.replace(plan, refusal=True)
    if fault_plan.refused:
        plan = dataclasses.replace(plan, declined=True)
    if fault_plan.output_tokens:
        plan = dataclasses.replace(plan, min_output_tokens=fault_plan.output_tokens)
    return skeleton.answer(plan.stream, lambda: messages.complete(plan), lambda: messages.frames(plan), fault_plan)


async def count_tokens(request: Request) -> Response:
    state, _ = await _admit(request)
    plan = validation.parse(await _body(request), state.models, strict=state.strict, count=True,
                            betas=betas(request))
    return json_response(wire.token_count(messages.count_input_tokens(plan)))


async def list_models(request: Request) -> Response:
    """Anthropic's cursor pagination: `limit` (1-1000, default 20), `after_id` or `before_id`."""
    state, _ = await _admit(request)
    ids = list(state.models.listed)
    raw_limit = request.query_params.get("limit", "20")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 1000:
        raise errors.invalid_request("limit: Input should be an integer from 1 to 1000")
    limit, after, before = int(raw_limit), request.query_params.get("after_id"), request.query_params.get("before_id")
    for cursor in (after, before):
        if cursor is not None and cursor not in state.models.listed:
            raise errors.invalid_request(f"Invalid cursor: {cursor}")
    if before is not None:
        end = ids.index(before)
        page, more = ids[max(0, end - limit) : end], end - limit > 0
    else:
        start = ids.index(after) + 1 if after is not None else 0
        page, more = ids[start : start + limit], start + limit < len(ids)
    return json_response(wire.model_list((state.models[m].info() for m in page), has_more=more))


async def retrieve_model(request: Request) -> Response:
    state, _ = await _admit(request)
    model_id = request.path_params["model"]
    if model_id not in state.models:
        raise errors.model_not_found(model_id)
    return json_response(state.models[model_id].info())


ROUTES = [
    Route("/v1/messages", create_message, methods=["POST"]),
    Route("/v1/messages/count_tokens", count_tokens, methods=["POST"]),
    Route("/v1/models", list_models, methods=["GET"]),
    Route("/v1/models/{model:path}", retrieve_model, methods=["GET"]),
]
