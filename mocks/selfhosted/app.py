"""The self-hosted (vLLM-style) mock: the skeleton (`mocks.core.skeleton`) filled with vLLM's errors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from starlette.applications import Starlette

from aigw_conformance.mocks.core import skeleton
from aigw_conformance.mocks.core.served import ModelOption
from aigw_conformance.mocks.selfhosted import catalogue, errors
from aigw_conformance.mocks.selfhosted.routes import ROUTES
from aigw_conformance.mocks.selfhosted.state import MockState


def create_app(
    api_key: str | None = None,
    *,
    models: Iterable[str | ModelOption] | None = None,
    owned_by: Literal["vllm", "maintainer"] = "vllm",
    strict_models: bool = False,
    deterministic_ids: bool = False,
) -> Starlette:
    """A vLLM-style server. `api_key`: the bearer token required (None: no authentication, as vLLM without
    `--api-key`); `models`: the ids listed (default: all of `catalogue.MODELS`); any other name is served too
    (`catalogue.unlisted`) unless `strict_models` (then vLLM's 404); `owned_by`: what `/v1/models` reports,
    "vllm" (what vLLM says) or each model's maintainer (what the documents say); `deterministic_ids`: ids derived from
    the request (golden tests) instead of fresh ones per request."""
    served = catalogue.served(models, strict=strict_models)
    return skeleton.create_app(errors.PLUMBING, ROUTES, MockState(api_key=api_key, models=served, owned_by=owned_by,
                                                                          deterministic_ids=deterministic_ids))
