"""Legal SSE variations (quirks): CRLF line endings and keep-alive comments; strict and SDK parsers cope."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from openai import OpenAI

from aigw_conformance.mocks.reference import ReferenceStack
from aigw_conformance.suites import sse

REQUEST: dict[str, Any] = {"model": "gpt-5", "messages": [{"role": "user", "content": "Explain XDR"}],
                           "max_completion_tokens": 40}


@pytest.fixture(scope="module", params=[("crlf",), ("comments",), ("crlf", "comments")], ids="+".join)
def quirky(request: pytest.FixtureRequest) -> Iterator[ReferenceStack]:
    with ReferenceStack(quirks=request.param) as running:
        yield running


def raw_stream(stack: ReferenceStack) -> bytes:
    headers = {"authorization": f"Bearer {stack.token}"}
    url = stack.base_url + "/chat/completions"
    reply = httpx.post(url, json={**REQUEST, "stream": True}, headers=headers, trust_env=False)
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/event-stream")
    return reply.content


def test_framing_is_as_configured_and_still_valid(quirky: ReferenceStack) -> None:
    body = raw_stream(quirky)
    quirks = quirky.settings.quirks
    if "crlf" in quirks:
        assert body.count(b"\r\n") == body.count(b"\n") > 0
    else:
        assert b"\r" not in body
    parsed = sse.parse(body)
    assert parsed.problems == []
    assert parsed.comments == (len(parsed.events) if "comments" in quirks else 0)  # one before each event
    assert parsed.events[-1].data == "[DONE]"
    assert all("choices" in json.loads(event.data) for event in parsed.events[:-1])


def test_the_sdk_reads_the_same_answer(quirky: ReferenceStack) -> None:
    with OpenAI(base_url=quirky.base_url, api_key=quirky.token, max_retries=0) as sdk:
        whole = sdk.chat.completions.create(**REQUEST)
        streamed = sdk.chat.completions.create(**REQUEST, stream=True, stream_options={"include_usage": True})
        pieces, usage = [], None
        for chunk in streamed:
            pieces += [choice.delta.content or "" for choice in chunk.choices]
            usage = chunk.usage or usage
    assert "".join(pieces) == whole.choices[0].message.content
    assert usage == whole.usage


def test_quirks_do_not_touch_json_responses(quirky: ReferenceStack) -> None:
    reply = httpx.get(quirky.base_url + "/models", headers={"authorization": f"Bearer {quirky.token}"},
                      trust_env=False)
    assert reply.status_code == 200 and b"\r\n" not in reply.content
