"""GET /audio/voices: the spec's VoiceList, the voices the OpenAI mock speaks with, the voices-missing-id defect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from aigw_conformance.mocks.openai.audio import VOICES as MOCK_VOICES
from aigw_conformance.mocks.reference import GatewaySettings, ReferenceStack, create_app
from aigw_conformance.mocks.reference.voices import VOICES
from aigw_conformance.spec.loader import component_validator

ErrorCheck = Callable[..., dict[str, Any]]
EXPECTED = ["alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse"]


def voices(headers: dict[str, str] | None = None, defects: frozenset[str] = frozenset()) -> Any:
    """The reply of an in-process gateway (the primary bearer token unless `headers` are given)."""
    with TestClient(create_app(GatewaySettings(defects=defects))) as client:
        return client.get("/api/ai/v1/audio/voices", headers=headers or {"authorization": "Bearer dev-token"})


def test_the_list_matches_the_spec_and_the_speech_mock(client: httpx.Client) -> None:
    reply = client.get("/audio/voices")
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/json"
    body = reply.json()
    assert [error.message for error in component_validator("VoiceList").iter_errors(body)] == []
    assert [voice["id"] for voice in body["data"]] == EXPECTED == list(VOICES) == list(MOCK_VOICES)
    assert all(voice["name"].lower() == voice["id"] for voice in body["data"])


def test_every_listed_voice_is_accepted_by_the_speech_mock(stack: ReferenceStack, client: httpx.Client) -> None:
    headers = {"authorization": f"Bearer {stack.settings.upstream_api_key}"}
    for voice in client.get("/audio/voices").json()["data"]:
        body = {"model": "tts-1", "input": "hi", "voice": voice["id"], "response_format": "wav"}
        reply = httpx.post(stack.mock_url() + "/v1/audio/speech", json=body, headers=headers, trust_env=False)
        assert reply.status_code == 200, (voice, reply.text)


@pytest.mark.parametrize("headers", [{"api-key": "dev-key", "api-secret": "dev-secret"},
                                     {"authorization": "Bearer dev-token-2"}])
def test_every_tenant_credential_may_list(headers: dict[str, str]) -> None:
    assert voices(headers).status_code == 200


@pytest.mark.parametrize("headers", [{"authorization": "Bearer wrong"}, {"api-key": "dev-key"}, {"x": "y"}])
def test_the_list_needs_credentials(headers: dict[str, str], check_error: ErrorCheck) -> None:
    check_error(voices(headers), 401)


def test_defect_voices_missing_id() -> None:
    body = voices(defects=frozenset({"voices-missing-id"})).json()
    assert body["data"] and all("id" not in voice and voice["name"] for voice in body["data"])
    assert component_validator("VoiceList").is_valid(body) is False
