"""Fixtures for the reference gateway's tests: one running stack per module, clients, error assertions."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from openai import OpenAI

from aigw_conformance.mocks.reference import ReferenceStack
from aigw_conformance.spec.loader import component_validator
from aigw_conformance.suites import sse

ERROR_ID = re.compile(r"^err_[0-9a-f]{32}$")
ErrorCheck = Callable[..., dict[str, Any]]
StreamReader = Callable[[httpx.Response], list[Any]]


@pytest.fixture(scope="module")
def stack() -> Iterator[ReferenceStack]:
    with ReferenceStack() as running:
        yield running


@pytest.fixture(scope="module")
def client(stack: ReferenceStack) -> Iterator[httpx.Client]:
    headers = {"authorization": f"Bearer {stack.token}"}
    with httpx.Client(base_url=stack.base_url, headers=headers, timeout=30, trust_env=False) as http:
        yield http


@pytest.fixture(scope="module")
def sdk(stack: ReferenceStack) -> Iterator[OpenAI]:
    with OpenAI(base_url=stack.base_url, api_key=stack.token, max_retries=0) as openai_client:
        yield openai_client


@pytest.fixture
def chat_request() -> dict[str, Any]:
    return {"model": "gpt-5-mini", "messages": [{"role": "user", "content": "What is XDR?"}],
            "max_completion_tokens": 40}


def _check_error(
    response: httpx.Response, status: int, *, param: Any = ..., code: Any = ...
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == "application/json"
    assert response.headers.get("x-error"), "x-error header missing or empty"
    assert ERROR_ID.match(response.headers.get("x-error-id", "")), response.headers.get("x-error-id")
    body = response.json()
    assert [error.message for error in component_validator("ErrorResponse").iter_errors(body)] == []
    error = body["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["type"], str) and error["type"]
    if param is not ...:
        assert error["param"] == param, error
    if code is not ...:
        assert error["code"] == code, error
    assert "Traceback" not in response.text
    return dict(error)


@pytest.fixture
def check_error() -> ErrorCheck:
    """`check_error(response, status, param=..., code=...)`: the full error contract of 000/001."""
    return _check_error


def _read_stream(response: httpx.Response) -> list[Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == "text/event-stream"
    parsed = sse.parse(response.content)
    assert parsed.problems == []
    data = [event.data for event in parsed.events]
    assert data[-1] == "[DONE]", data[-3:]
    return [json.loads(item) for item in data[:-1]]


@pytest.fixture
def read_stream() -> StreamReader:
    """The JSON chunks of a complete SSE response (framing checked, the `[DONE]` terminator required)."""
    return _read_stream
