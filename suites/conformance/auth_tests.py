"""Conformance tests of authentication on every implemented operation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aigw_conformance.suites.conformance.chat_tests import chat_body
from aigw_conformance.suites.conformance.registry import TestContext, conformance_test
from aigw_conformance.suites.features import Feature

WRONG = "aigw-conformance-wrong-credential"


def operations(t: TestContext) -> Iterator[tuple[str, str, Any]]:
    """The documented AI API operations (001: GET /models; 000: POST /chat/completions), then every other one the
    target declares (token counting, embeddings), each with a valid request (model IDs from the target). 000's
    authentication section applies to every endpoint; GET /models/{id}, which the documents never name, is not
    among them."""
    yield "GET", "/models", None
    yield "POST", "/chat/completions", chat_body(t, max_completion_tokens=8)
    if t.target.skip_reason(Feature.TOKEN_COUNTING) is None:
        yield "POST", "/chat/count", {"model": t.model(), "messages": [{"role": "user", "content": "Hello"}]}
    embedding = t.target.models_for("embedding", fallback=False)
    if t.target.skip_reason(Feature.EMBEDDINGS) is None and embedding:
        yield "POST", "/embeddings", {"model": embedding[0], "input": "Hello"}


def _each(t: TestContext, headers: dict[str, str], label: str, check: str) -> None:
    for method, path, body in operations(t):
        t.send(method, path, json_body=body, headers=headers, authenticated=False, label=label, expect=[check])


@conformance_test("auth.missing_credentials", features=(Feature.BEARER_AUTH,))
def missing_credentials(t: TestContext) -> None:
    """Every operation refuses a request without credentials with 401."""
    _each(t, {}, "no credentials", "auth.missing_credentials_401")


@conformance_test("auth.wrong_bearer", features=(Feature.BEARER_AUTH,))
def wrong_bearer(t: TestContext) -> None:
    """Every operation refuses a wrong bearer token with 401."""
    _each(t, {"authorization": f"Bearer {WRONG}"}, "wrong bearer", "auth.wrong_bearer_401")


@conformance_test("auth.bearer_accepted", features=(Feature.BEARER_AUTH,))
def bearer_accepted(t: TestContext) -> None:
    """Every operation accepts the configured bearer token."""
    if not t.target.token:
        raise t.skip("the target gives no bearer token ([auth] token or --token)")
    _each(t, {"authorization": f"Bearer {t.target.token}"}, "valid bearer", "auth.bearer_accepted")


def _key_pair(t: TestContext) -> tuple[str, str]:
    if not (t.target.api_key and t.target.api_secret):
        raise t.skip("the target gives no api-key/api-secret pair ([auth] api_key, api_secret)")
    return t.target.api_key, t.target.api_secret


@conformance_test("auth.api_key_accepted", features=(Feature.API_KEY_AUTH,))
def api_key_accepted(t: TestContext) -> None:
    """Every operation accepts the configured api-key with its api-secret."""
    key, secret = _key_pair(t)
    _each(t, {"api-key": key, "api-secret": secret}, "valid key pair", "auth.api_key_accepted")


@conformance_test("auth.wrong_key", features=(Feature.API_KEY_AUTH,))
def wrong_key(t: TestContext) -> None:
    """Every operation refuses a wrong key pair, and a valid key with a wrong secret, with 401."""
    key, _ = _key_pair(t)
    _each(t, {"api-key": WRONG, "api-secret": WRONG}, "wrong key pair", "auth.wrong_key_401")
    _each(t, {"api-key": key, "api-secret": WRONG}, "valid key, wrong secret", "auth.wrong_key_401")


@conformance_test("auth.secret_without_key", features=(Feature.API_KEY_AUTH,))
def secret_without_key(t: TestContext) -> None:
    """Every operation refuses a valid api-secret sent without its api-key with 401 (decision auth.mixed)."""
    _, secret = _key_pair(t)
    _each(t, {"api-secret": secret}, "secret without key", "auth.secret_without_key_401")


@conformance_test("auth.mixed_credentials", features=(Feature.BEARER_AUTH, Feature.API_KEY_AUTH))
def mixed_credentials(t: TestContext) -> None:
    """Both schemes in one request, one of them invalid, get 200 or 401 on every operation (decision auth.mixed)."""
    key, secret = _key_pair(t)
    if not t.target.token:
        raise t.skip("the target gives no bearer token ([auth] token or --token)")
    check = "auth.mixed_credentials_200_or_401"
    _each(t, {"authorization": f"Bearer {t.target.token}", "api-key": WRONG, "api-secret": WRONG},
          "valid bearer, wrong key pair", check)
    _each(t, {"authorization": f"Bearer {WRONG}", "api-key": key, "api-secret": secret},
          "wrong bearer, valid key pair", check)


@conformance_test("auth.key_without_secret", features=(Feature.API_KEY_AUTH,))
def key_without_secret(t: TestContext) -> None:
    """Every operation refuses a valid api-key sent without its api-secret with 401."""
    key, _ = _key_pair(t)
    _each(t, {"api-key": key}, "key without secret", "auth.key_without_secret_401")
