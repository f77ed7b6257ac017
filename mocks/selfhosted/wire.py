"""vLLM's wire format: OpenAI's (re-exported from `mocks.openai.wire`) plus its model card and error body."""

from __future__ import annotations

import hashlib
from typing import Literal, TypedDict

from aigw_conformance.mocks.openai.wire import *  # noqa: F403  (vLLM speaks OpenAI's chat, embeddings and audio formats)
from aigw_conformance.mocks.openai.wire import __all__ as _openai_all

__all__ = [*_openai_all, "ModelCard", "ModelPermission", "VllmError", "VllmModelList", "error", "model_card"]


class ModelPermission(TypedDict):
    id: str
    object: Literal["model_permission"]
    created: int
    allow_create_engine: bool
    allow_sampling: bool
    allow_logprobs: bool
    allow_search_indices: bool
    allow_view: bool
    allow_fine_tuning: bool
    organization: str
    group: None
    is_blocking: bool


class ModelCard(TypedDict):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str
    root: str
    parent: None
    max_model_len: int
    permission: list[ModelPermission]


class VllmModelList(TypedDict):
    object: Literal["list"]
    data: list[ModelCard]


class VllmError(TypedDict):
    """vLLM's `ErrorResponse`: flat, with the HTTP status as an integer `code`."""

    object: Literal["error"]
    message: str
    type: str
    param: str | None
    code: int


def model_card(id: str, created: int, owned_by: str, root: str, max_model_len: int) -> ModelCard:
    """One `/v1/models` entry; the permission id is derived from the model id (vLLM's is random)."""
    permission: ModelPermission = {
        "id": "modelperm-" + hashlib.sha256(id.encode("utf-8")).hexdigest()[:32], "object": "model_permission",
        "created": created, "allow_create_engine": False, "allow_sampling": True, "allow_logprobs": True,
        "allow_search_indices": False, "allow_view": True, "allow_fine_tuning": False, "organization": "*",
        "group": None, "is_blocking": False,
    }
    return {
        "id": id, "object": "model", "created": created, "owned_by": owned_by, "root": root, "parent": None,
        "max_model_len": max_model_len, "permission": [permission],
    }


def error(message: str, type: str, status: int, param: str | None = None) -> VllmError:
    return {"object": "error", "message": message, "type": type, "param": param, "code": status}
