"""GET /models and GET /models/{id}: the catalogue in OpenAI's list shape, plus provider and limits."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from aigw_conformance.mocks.reference.auth import authenticate
from aigw_conformance.mocks.reference.catalogue import available, find
from aigw_conformance.mocks.reference.errors import GatewayError
from aigw_conformance.mocks.reference.state import GatewayState


class ModelEndpoints:
    def __init__(self, state: GatewayState) -> None:
        self.state = state

    async def list(self, request: Request) -> Response:
        settings = self.state.settings
        authenticate(request.headers, settings)
        with_owned_by = not settings.has("model-missing-owned-by")
        overstated = settings.has("capabilities-overstated")
        data = [entry.to_json(with_owned_by=with_owned_by, overstated=overstated)
                for entry in available(settings.upstreams)]
        return JSONResponse({"object": "list", "data": data})

    async def retrieve(self, request: Request) -> Response:
        settings = self.state.settings
        authenticate(request.headers, settings)
        model_id = request.path_params["model_id"]
        entry = find(model_id, settings.upstreams)
        if entry is None:
            if settings.has("unknown-provider-500") and "/" in model_id:  # `provider/model`: a KeyError
                raise GatewayError(500, f"internal server error: KeyError({model_id.split('/')[0]!r})")
            if settings.has("unknown-model-500"):
                raise GatewayError(500, f"internal server error: KeyError({model_id!r})")
            raise GatewayError(404, f"model {model_id!r} not found", code="model_not_found", param="model")
        return JSONResponse(entry.to_json(with_owned_by=not settings.has("model-missing-owned-by"),
                                          overstated=settings.has("capabilities-overstated")))
