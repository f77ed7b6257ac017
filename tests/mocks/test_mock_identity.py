"""Every mock gives each answer a fresh id and the current `created` (as a real provider does), unless told
`deterministic_ids` (golden tests); the OpenAI mock's memoised front path splices a fresh pair into its memo."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from test_control_every_provider import PROBES
from test_mock_models import _namespace

from aigw_conformance import mocks_cli
from aigw_conformance.mocks import registry
from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.openai.app import create_app as create_openai_app

# Where each wire format names its answer: the id's key, and `created` where the format has one.
ID_KEY = {"openai": "id", "selfhosted": "id", "anthropic": "id", "gemini": "responseId"}
HAS_CREATED = {"openai", "selfhosted"}


def _twice(name: str, **options: Any) -> tuple[dict[str, Any], dict[str, Any], float]:
    """Two identical requests to a fresh mock `name`: both answers and the time before the first was sent."""
    path, headers, body = PROBES[name]
    with ServerThread(registry.load(name).create_app(**options), name=name) as server, httpx.Client(
            base_url=server.base_url, timeout=10) as client:
        sent_at = time.time()
        replies = [client.post(path, headers=headers, json=body) for _ in range(2)]
    assert [r.status_code for r in replies] == [200, 200], replies[0].text
    return replies[0].json(), replies[1].json(), sent_at


def _without_identity(answer: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k not in (ID_KEY[name], "created")}


@pytest.mark.parametrize("name", registry.PROVIDERS)
def test_identical_requests_get_fresh_ids_and_the_current_time(name: str) -> None:
    first, again, sent_at = _twice(name)
    key = ID_KEY[name]
    assert isinstance(first[key], str) and first[key] != again[key]
    assert len(first[key]) == len(again[key])  # the provider's own id shape either way
    assert _without_identity(first, name) == _without_identity(again, name)  # the content is the request's
    if name in HAS_CREATED:
        assert sent_at - 5 <= first["created"] <= again["created"] <= time.time() + 5


@pytest.mark.parametrize("name", registry.PROVIDERS)
def test_deterministic_ids_give_identical_answers(name: str) -> None:
    first, again, _ = _twice(name, deterministic_ids=True)
    assert first == again
    if name in HAS_CREATED:
        assert first["created"] < 1_767_225_600  # the fixed 2025 epoch of the golden files


def _memoised_chat(app: Any, body: bytes) -> list[bytes]:
    """`body`'s answer, asked three times of the OpenAI mock `app` (the last two from its memo)."""
    answers = []
    with ServerThread(app, name="openai-memo") as server, httpx.Client(base_url=server.base_url, timeout=10) as client:
        for _ in range(3):
            reply = client.post("/v1/chat/completions", content=body, headers={"authorization": "Bearer k"})
            assert reply.status_code == 200
            answers.append(reply.content)
    return answers


def _payloads(answer: bytes, stream: bool) -> list[dict[str, Any]]:
    events = [e.removeprefix(b"data: ") for e in answer.split(b"\n\n") if e.strip()] if stream else [answer]
    return [json.loads(e) for e in events if e != b"[DONE]"]


@pytest.mark.parametrize("stream", [False, True])
def test_the_memoised_front_path_splices_a_fresh_id_into_the_same_answer(stream: bool) -> None:
    body = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": stream}).encode()
    app = create_openai_app()
    answers = _memoised_chat(app, body)
    assert app.direct is not None and len(app.direct.replies) == 1  # generated once, then served from the memo
    payloads = [_payloads(answer, stream) for answer in answers]
    assert len({p["id"] for chunks in payloads for p in chunks}) == 3  # one id per answer, shared by its chunks
    blanked = [[{**p, "id": "", "created": 0} for p in chunks] for chunks in payloads]
    assert blanked[0] == blanked[1] == blanked[2]  # nothing else differs
    assert _memoised_chat(create_openai_app(deterministic_ids=True), body)[1:] == \
        _memoised_chat(create_openai_app(deterministic_ids=True), body)[:2]


@pytest.mark.parametrize("name", registry.PROVIDERS)
def test_the_serve_flag_makes_every_provider_deterministic(name: str) -> None:
    provider = registry.load(name)
    assert mocks_cli._app_options(provider, _namespace("--deterministic-ids"))["deterministic_ids"] is True
    assert "deterministic_ids" not in mocks_cli._app_options(provider, _namespace())
    app = provider.create_app(**mocks_cli._app_options(provider, _namespace("--deterministic-ids")))
    assert app.state.mock.deterministic_ids is True
