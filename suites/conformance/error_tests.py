"""Conformance tests of the error contract: 400/404 causes from the documents, with body and headers."""

from __future__ import annotations

from aigw_conformance.suites.conformance.chat_tests import QUESTION
from aigw_conformance.suites.conformance.models_tests import UNKNOWN_MODEL
from aigw_conformance.suites.conformance.registry import TestContext, conformance_test
from aigw_conformance.suites.features import Feature


@conformance_test("errors.malformed_json", features=(Feature.ERROR_HEADERS,))
def malformed_json(t: TestContext) -> None:
    """Invalid JSON gives 400 with the error body and `x-error`/`x-error-id`."""
    t.send("POST", "/chat/completions", content=b'{"model": "x", "messages": [', label="invalid JSON",
           headers={"content-type": "application/json"}, expect=["http.bad_request_400"])


@conformance_test("errors.empty_messages", features=(Feature.ERROR_HEADERS,))
def empty_messages(t: TestContext) -> None:
    """An empty `messages` array gives 400 (000: 'Message history for context (minimum 1)')."""
    t.send("POST", "/chat/completions", json_body={"model": t.model(), "messages": []}, label="messages: []",
           expect=["http.bad_request_400"])


@conformance_test("errors.invalid_role", features=(Feature.ERROR_HEADERS,))
def invalid_role(t: TestContext) -> None:
    """A message role outside user/assistant/system/tool/developer gives 400."""
    body = {"model": t.model(), "messages": [{"role": "wizard", "content": "hi"}]}
    t.send("POST", "/chat/completions", json_body=body, label="role: wizard", expect=["http.bad_request_400"])


@conformance_test("errors.missing_model", features=(Feature.ERROR_HEADERS,))
def missing_model(t: TestContext) -> None:
    """A request without the required `model` gives 400."""
    t.send("POST", "/chat/completions", json_body={"messages": QUESTION}, label="no model",
           expect=["http.bad_request_400"])


@conformance_test("errors.unknown_model", features=(Feature.ERROR_HEADERS,))
def unknown_model(t: TestContext) -> None:
    """Chat with a model ID that does not exist gives 404 (001: 'Model or provider not found')."""
    body = {"model": UNKNOWN_MODEL, "messages": QUESTION}
    t.send("POST", "/chat/completions", json_body=body, label="unknown model", expect=["models.unknown_404"])


@conformance_test("errors.unauthenticated", features=(Feature.ERROR_HEADERS,))
def unauthenticated(t: TestContext) -> None:
    """A 401 carries the same error body and headers as every other error."""
    t.send("GET", "/models", authenticated=False, label="no credentials", expect=["auth.missing_credentials_401"])
