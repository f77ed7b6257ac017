"""The OpenAI mock as a Starlette app: `create_app()` fills the skeleton (`mocks.core.skeleton`) with OpenAI."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from aigw_conformance.mocks.core import skeleton
from aigw_conformance.mocks.core.served import ModelOption
from aigw_conformance.mocks.openai import catalogue, errors
from aigw_conformance.mocks.openai.direct import Direct
from aigw_conformance.mocks.openai.routes import ROUTES
from aigw_conformance.mocks.openai.state import MockState

MODELS: Mapping[str, int] = {model: spec.created for model, spec in catalogue.MODELS.items()}
"""Model id -> `created` of the models the mock lists by default (`catalogue.MODELS` has their limits)."""


class OpenAIMock(Starlette):
    """The mock's Starlette app with `Direct.front` before its middleware: a request whose answer is
    memoised and that no fault, key or setting change can alter is answered without Starlette."""

    direct: Direct | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.direct is None or scope["type"] != "http":
            await super().__call__(scope, receive, send)
        else:
            await self.direct.front(scope, receive, send, super().__call__)


def create_app(
    api_key: str | None = None,
    *,
    models: Iterable[str | ModelOption] | Mapping[str, int] | None = None,
    strict: bool = True,
    expose_reasoning: bool = False,
    strict_models: bool = False,
    reasoning_limits: bool = True,
    deterministic_ids: bool = False,
) -> OpenAIMock:
    """An OpenAI mock. `api_key`: the only bearer token accepted (None: any non-empty one); `models`: the
    ids listed (default `catalogue.MODELS`; any other name is served too, with `catalogue`'s default limits,
    unless `strict_models`: then it is a 404 `model_not_found`); `strict`: reject unknown request parameters as
    OpenAI does; `expose_reasoning`: return the reasoning text in `message.reasoning`, as a vLLM-style server
    does; `reasoning_limits`: OpenAI's reasoning models refuse `stop`, `logprobs`, `top_p`, `temperature` != 1;
    `deterministic_ids`: ids derived from the request (golden tests) instead of fresh ones per request (`Direct` splices
    a fresh pair into a memoised answer)."""
    state = MockState(api_key=api_key, models=catalogue.served(models, strict=strict_models), strict=strict,
                      expose_reasoning=expose_reasoning, reasoning_limits=reasoning_limits,
                      deterministic_ids=deterministic_ids)
    direct = Direct(state)
    app = skeleton.create_app(errors.PLUMBING, ROUTES, state, app_class=OpenAIMock, direct=direct)
    direct.rules = app.state.mock_control.rules
    app.direct = direct
    return app
