"""Authentication on the reference gateway: bearer token or api-key + api-secret, checked before anything."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI

from aigw_conformance.mocks.reference import ReferenceStack
from aigw_conformance.mocks.reference.catalogue import available

ErrorCheck = Callable[..., dict[str, Any]]

REJECTED: dict[str, dict[str, str]] = {
    "nothing": {},
    "wrong bearer": {"authorization": "Bearer not-the-token"},
    "empty bearer": {"authorization": "Bearer"},
    "bare token": {"authorization": "dev-token"},
    "basic scheme": {"authorization": "Basic ZGV2LWtleTpkZXYtc2VjcmV0"},
    "key without secret": {"api-key": "dev-key"},
    "secret without key": {"api-secret": "dev-secret"},
    "wrong key": {"api-key": "other-key", "api-secret": "dev-secret"},
    "wrong secret": {"api-key": "dev-key", "api-secret": "other-secret"},
    "empty key and secret": {"api-key": "", "api-secret": ""},
    "token as api-key": {"api-key": "dev-token", "api-secret": "dev-token"},
    "wrong bearer and wrong key": {"authorization": "Bearer nope", "api-key": "nope", "api-secret": "nope"},
}
ACCEPTED: dict[str, dict[str, str]] = {
    "bearer": {"authorization": "Bearer dev-token"},
    "lower-case scheme": {"authorization": "bearer dev-token"},
    "key and secret": {"api-key": "dev-key", "api-secret": "dev-secret"},
    "both schemes": {"authorization": "Bearer dev-token", "api-key": "dev-key", "api-secret": "dev-secret"},
    "key pair, bad bearer": {"authorization": "Bearer no", "api-key": "dev-key", "api-secret": "dev-secret"},
}


@pytest.fixture(scope="module")
def anonymous(stack: ReferenceStack) -> Any:
    with httpx.Client(base_url=stack.base_url, timeout=30, trust_env=False) as http:
        yield http


@pytest.mark.parametrize("headers", REJECTED.values(), ids=REJECTED.keys())
@pytest.mark.parametrize("operation", ["GET /models", "GET /models/gpt-5", "POST /chat/completions"])
def test_rejected_credentials_are_401(
    anonymous: httpx.Client, check_error: ErrorCheck, chat_request: dict[str, Any], operation: str,
    headers: dict[str, str],
) -> None:
    method, path = operation.split()
    body = chat_request if method == "POST" else None
    reply = anonymous.request(method, path, json=body, headers=headers)
    check_error(reply, 401)
    assert reply.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("headers", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_accepted_credentials(
    anonymous: httpx.Client, chat_request: dict[str, Any], headers: dict[str, str]
) -> None:
    assert anonymous.get("/models", headers=headers).status_code == 200
    assert anonymous.post("/chat/completions", json=chat_request, headers=headers).status_code == 200


@pytest.mark.parametrize(
    "content, content_type",
    [(b"{not json", "application/json"), (b'{"model": "gpt-5"}', "text/plain"),
     (b'{"model": "no-such-model", "messages": [{"role": "user", "content": "x"}]}', "application/json")],
    ids=["malformed JSON", "wrong content type", "unknown model"],
)
def test_authentication_comes_before_validation(
    anonymous: httpx.Client, check_error: ErrorCheck, content: bytes, content_type: str
) -> None:
    reply = anonymous.post("/chat/completions", content=content, headers={"content-type": content_type})
    check_error(reply, 401, code="missing_credentials")


def test_messages_say_what_is_wrong(anonymous: httpx.Client, check_error: ErrorCheck) -> None:
    assert "api-secret" in check_error(anonymous.get("/models", headers=REJECTED["key without secret"]), 401)[
        "message"]
    assert "bearer" in check_error(anonymous.get("/models", headers=REJECTED["wrong bearer"]), 401)["message"]


def test_sdk_with_a_wrong_key_gets_authentication_error(stack: ReferenceStack) -> None:
    with OpenAI(base_url=stack.base_url, api_key="wrong", max_retries=0) as bad, \
            pytest.raises(openai.AuthenticationError) as caught:
        bad.models.list()
    assert caught.value.status_code == 401


def test_sdk_with_key_and_secret_headers(stack: ReferenceStack) -> None:
    headers = {"api-key": stack.api_key, "api-secret": stack.api_secret}
    # the SDK always sends a bearer; an invalid one does not spoil a valid key pair
    with OpenAI(base_url=stack.base_url, api_key="unused", default_headers=headers, max_retries=0) as keyed:
        listed = {model.id for model in keyed.models.list().data}
    assert listed == {entry.id for entry in available(stack.settings.upstreams)}
