"""The embeddings, audio and dedicated-endpoint defects of the reference show their symptoms; the clean one does not."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
from symptoms import probes_fixture, symptom_tests

from aigw_conformance.mocks.reference import ReferenceStack

TEXTS = ["alpha", "beta", "gamma"]
SPOKEN = "Rotate the leaked keys now"


class Probe:
    def __init__(self, stack: ReferenceStack) -> None:
        self.stack = stack
        self.http = httpx.Client(base_url=stack.base_url, timeout=30, trust_env=False,
                                 headers={"authorization": f"Bearer {stack.token}"})

    def embed(self, **changes: Any) -> dict[str, Any]:
        reply = self.http.post("/embeddings", json={"model": "text-embedding-3-small", "input": TEXTS, **changes})
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()
        return body

    def speech(self, **changes: Any) -> httpx.Response:
        return self.http.post("/audio/speech", json={"model": "tts-1", "input": SPOKEN, "voice": "alloy",
                                                     "response_format": "wav", **changes})

    def transcribe(self, **fields: str) -> httpx.Response:
        audio = self.speech().content
        return self.http.post("/audio/transcriptions", data={"model": "whisper-1", **fields},
                              files={"file": ("speech.wav", audio, "audio/wav")})

    def prompt_tokens(self, model: str, with_audio: bool) -> httpx.Response:
        parts: list[dict[str, Any]] = [{"type": "text", "text": "What is said?"}]
        if with_audio:
            data = base64.b64encode(self.speech().content).decode()
            parts.append({"type": "input_audio", "input_audio": {"data": data, "format": "wav"}})
        return self.http.post("/chat/completions", json={"model": model, "max_completion_tokens": 4,
                                                         "messages": [{"role": "user", "content": parts}]})


def _audio_dropped(probe: Probe) -> bool:
    alone = probe.prompt_tokens("gpt-5", False).json()["usage"]["prompt_tokens"]
    return bool(probe.prompt_tokens("gpt-5", True).json()["usage"]["prompt_tokens"] == alone)


def _first_vector_length(body: dict[str, Any]) -> int:
    return len(base64.b64decode(body["data"][0]["embedding"]))


SYMPTOMS: dict[str, Callable[[Probe], bool]] = {
    "embeddings-order-shuffled": lambda probe: [item["index"] for item in probe.embed()["data"]] != [0, 1, 2],
    "embeddings-dimensions-ignored": lambda probe: len(probe.embed(dimensions=8)["data"][0]["embedding"]) != 8,
    "embeddings-base64-float64": lambda probe: _first_vector_length(probe.embed(encoding_format="base64")) == 8 * 1536,
    "embeddings-usage-missing": lambda probe: "usage" not in probe.embed(),
    "speech-wrong-content-type": lambda probe: probe.speech().headers["content-type"] == "application/octet-stream",
    "speech-wav-bad-size": lambda probe: int.from_bytes(probe.speech().content[4:8], "little")
    == len(probe.speech().content),
    "speech-unknown-voice-accepted": lambda probe: probe.speech(voice="no-such-voice").status_code == 200,
    "transcription-drops-words": lambda probe: json.loads(probe.transcribe().content)["text"]
    == SPOKEN.rpartition(" ")[0],
    "transcription-format-ignored": lambda probe: probe.transcribe(response_format="text").headers[
        "content-type"].startswith("application/json"),
    "dedicated-model-500": lambda probe: probe.http.post("/chat/completions", json={
        "model": "whisper-1", "messages": [{"role": "user", "content": "Hello"}]}).status_code == 500,
    "input-audio-dropped": _audio_dropped,
}


probes = probes_fixture(Probe)
test_the_defect_shows_its_symptom, test_the_clean_reference_does_not = symptom_tests(SYMPTOMS)
