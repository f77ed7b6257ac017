"""The Gemini mock as a Starlette app: `create_app()` fills the skeleton (`mocks.core.skeleton`) with Gemini."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.applications import Starlette

from aigw_conformance.mocks.core import skeleton
from aigw_conformance.mocks.core.served import ModelOption
from aigw_conformance.mocks.gemini import catalogue, errors
from aigw_conformance.mocks.gemini.routes import ROUTES
from aigw_conformance.mocks.gemini.state import MockState


def create_app(
    api_key: str | None = None, *, models: Iterable[str | ModelOption] | None = None, strict: bool = True,
    strict_models: bool = False, deterministic_ids: bool = False,
) -> Starlette:
    """A Gemini API mock. `api_key`: the only key accepted (`x-goog-api-key` header or `?key=`; None: any
    non-empty one); `models`: the ids listed (default `catalogue.MODELS`; an id not in the catalogue is a chat
    model); any other name is served as a chat model too unless `strict_models` (then Google's 404 NOT_FOUND);
    `strict`: reject unknown request fields as Google does; `deterministic_ids`: ids derived from the request (golden
    tests) instead of fresh ones per request."""
    served = catalogue.served(models, strict=strict_models)
    return skeleton.create_app(errors.PLUMBING, ROUTES, MockState(api_key=api_key, models=served, strict=strict,
                                                                          deterministic_ids=deterministic_ids))
