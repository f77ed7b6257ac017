"""The store's endpoints: list, create, read, replace and delete the caller's tenant's records (all inferred)."""

from __future__ import annotations

import functools
import json
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from aigw_conformance.mocks.reference.auth import authenticate
from aigw_conformance.mocks.reference.errors import GatewayError
from aigw_conformance.mocks.reference.settings import GatewaySettings
from aigw_conformance.mocks.reference.store.backend import Record, StoreBackend
from aigw_conformance.mocks.reference.store.dispatch import Endpoint, StoreRoute
from aigw_conformance.mocks.reference.validation import read_json, schema_error
from aigw_conformance.spec.loader import request_body_schema, validator_for_schema

COLLECTION_PATH = "/api/ai/v1/store/{collection}"
RECORD_PATH = COLLECTION_PATH + "/{key}"
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
UNPAGED = 1_000_000  # the store-list-no-paging defect's page size: everything
DIGITS = re.compile(r"[0-9]{1,9}")
KEY_ATTEMPTS = 8  # keys made for a POST without one, until one is free (a clash is a clock gone back, or chance)
Lifespan = Callable[[Any], AbstractAsyncContextManager[None]]


@functools.cache
def _validator(path: str, method: str) -> Draft202012Validator:
    return validator_for_schema(request_body_schema(path, method))


def new_key() -> str:
    """A generated key: `rec_`, the creation time in hex nanoseconds (so keys sort by age), 8 random hex digits."""
    return f"rec_{time.time_ns():016x}{secrets.token_hex(4)}"


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not DIGITS.fullmatch(raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise GatewayError(400, f"limit: must be an integer from 1 to {MAX_LIMIT}, got {raw!r}",
                           code="invalid_parameter", param="limit")
    return int(raw)


def _not_found(collection: str, key: str) -> GatewayError:
    return GatewayError(404, f"no record {key!r} in collection {collection!r}", code="record_not_found", param="key")


def _value_type_error(error: ValidationError) -> bool:
    """A `value` that is not an object: the store-value-unchecked defect lets it through."""
    return list(error.absolute_path) == ["value"] and error.validator == "type"


async def _record_input(request: Request, settings: GatewaySettings, path: str, method: str) -> tuple[Any, Any]:
    """(key or None, value) of a StoreRecordInput body; 400 naming the parameter when it is not one."""
    body = await read_json(request, settings)
    errors = _validator(path, method).iter_errors(body)
    if settings.has("store-value-unchecked"):
        errors = (error for error in errors if not _value_type_error(error))
    problem = schema_error(errors)
    if problem is not None:
        raise problem
    if not isinstance(body, dict):  # the schema says object; this keeps the type checker honest
        raise GatewayError(400, "request body must be a JSON object", code="invalid_parameter")
    try:  # what JSON cannot give back is refused before it is stored, or every later read of it would fail
        json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except UnicodeEncodeError:
        raise GatewayError(400, "the body holds a lone surrogate escape, which is not valid Unicode",
                           code="invalid_json") from None
    except ValueError:
        raise GatewayError(400, "the body holds a number JSON cannot represent (NaN, or one that overflows to "
                           "Infinity, such as 1e400)", code="invalid_json") from None
    return body.get("key"), body["value"]


class StoreEndpoints:
    """The five store operations over one `StoreBackend`; the tenant always comes from the credentials."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.backend = StoreBackend(settings.store_url)

    def _shown(self, record: Record) -> dict[str, Any]:
        """The record as answered; the store-value-as-string defect leaves `value` as the stored JSON text."""
        shown = record.to_json()
        if self.settings.has("store-value-as-string"):
            shown["value"] = json.dumps(record.value)
        return shown

    def route(self, base_path: str, wrap: Callable[[Endpoint], Endpoint]) -> StoreRoute:
        """The route of all five operations under `<base_path>/store/`, each endpoint wrapped by `wrap`."""
        return StoreRoute(base_path + "/store/", {"GET": wrap(self.list), "POST": wrap(self.create)},
                          {"GET": wrap(self.get), "PUT": wrap(self.put), "DELETE": wrap(self.delete)})

    def lifespan(self, inner: Lifespan) -> Lifespan:
        """`inner` with the store opened first (a bad path fails the start-up) and closed last."""

        @asynccontextmanager
        async def run(app: Any) -> AsyncIterator[None]:
            await self.backend.run(self.backend.open)
            try:
                async with inner(app):
                    yield
            finally:
                await self.backend.run(self.backend.close)

        return run

    async def list(self, request: Request) -> Response:
        tenant = authenticate(request.headers, self.settings)
        limit, after = _limit(request.query_params.get("limit")), request.query_params.get("after")
        if self.settings.has("store-list-no-paging"):
            limit, after = UNPAGED, None
        scope = None if self.settings.has("store-tenant-leak") else tenant
        collection = request.path_params["collection"]
        records, more = await self.backend.run(self.backend.page, scope, collection, after, limit)
        return JSONResponse({"object": "list", "data": [self._shown(record) for record in records], "has_more": more})

    async def create(self, request: Request) -> Response:
        tenant = authenticate(request.headers, self.settings)
        collection = request.path_params["collection"]
        key, value = await _record_input(request, self.settings, COLLECTION_PATH, "post")
        made = key is None
        for _ in range(KEY_ATTEMPTS if made else 1):  # a key the gateway made is never the caller's duplicate
            key = new_key() if made else key
            record = await self.backend.run(self.backend.insert, tenant, collection, key, value, int(time.time()))
            if record is not None:
                break
        if record is None:
            raise GatewayError(400, f"key: a record {key!r} already exists in collection {collection!r}; "
                               "use PUT to replace it", code="duplicate_key", param="key")
        return JSONResponse(self._shown(record), 200 if self.settings.has("store-create-200") else 201)

    async def get(self, request: Request) -> Response:
        tenant = authenticate(request.headers, self.settings)
        collection, key = request.path_params["collection"], request.path_params["key"]
        scope = None if self.settings.has("store-get-any-tenant") else tenant
        record = await self.backend.run(self.backend.get, scope, collection, key)
        if record is None:
            raise _not_found(collection, key)
        return JSONResponse(self._shown(record))

    async def put(self, request: Request) -> Response:
        tenant = authenticate(request.headers, self.settings)
        collection, key = request.path_params["collection"], request.path_params["key"]
        _, value = await _record_input(request, self.settings, RECORD_PATH, "put")
        record = await self.backend.run(self.backend.put, tenant, collection, key, value, int(time.time()))
        return JSONResponse(self._shown(record))

    async def delete(self, request: Request) -> Response:
        tenant = authenticate(request.headers, self.settings)
        collection, key = request.path_params["collection"], request.path_params["key"]
        scope = None if self.settings.has("store-delete-any-tenant") else tenant
        if self.settings.has("store-delete-keeps-record"):  # answered as deleted, but nothing is removed
            deleted = await self.backend.run(self.backend.get, scope, collection, key) is not None
        else:
            deleted = await self.backend.run(self.backend.delete, scope, collection, key)
        if not deleted:
            raise _not_found(collection, key)
        if self.settings.has("store-delete-204"):
            return Response(status_code=204)
        return JSONResponse({"collection": collection, "key": key, "deleted": True})
