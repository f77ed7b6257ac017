"""The Anthropic mock as a Starlette app: `create_app()` fills the skeleton (`mocks.core.skeleton`) with Anthropic."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.applications import Starlette

from aigw_conformance.mocks.anthropic import errors, state
from aigw_conformance.mocks.anthropic.routes import ROUTES
from aigw_conformance.mocks.anthropic.state import MockState, ModelSpec
from aigw_conformance.mocks.core import skeleton
from aigw_conformance.mocks.core.served import ModelOption


def create_app(
    api_key: str | None = None, *, models: Iterable[str | ModelOption | ModelSpec] | None = None,
    strict: bool = True, strict_models: bool = False, reasoning_limits: bool = True, deterministic_ids: bool = False,
) -> Starlette:
    """An Anthropic Messages mock. `api_key`: the only `x-api-key` accepted (None: any non-empty one);
    `models`: the models listed, as ids (a catalogue id keeps its listing), `ModelOption`s or `ModelSpec`s
    (default `MODELS`); any other model name is served with `DEFAULT_MAX_OUTPUT` unless `strict_models` (then a
    404 `not_found_error`); `strict`: reject unknown request parameters (`<name>: Extra inputs are not
    permitted`) as Anthropic does; `reasoning_limits`: the Claude 4.5 models refuse `temperature` with `top_p`
    (`validation.ONE_SAMPLER_MODELS`); `deterministic_ids`: ids derived from the request (golden tests) instead of fresh
    ones per request."""
    served = state.served(models, strict=strict_models)
    mock = MockState(api_key=api_key, models=served, strict=strict, reasoning_limits=reasoning_limits,
                     deterministic_ids=deterministic_ids)
    return skeleton.create_app(errors.PLUMBING, ROUTES, mock)
