"""`provider_urls` / `aigw serve --provider-url NAME=URL`: a provider's traffic goes to a separately started
mock (or a real provider) instead of the mock the stack starts; `--upstream-timeout`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from openai import OpenAI

from aigw_conformance.cli import main
from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.openai.app import create_app as create_openai_app
from aigw_conformance.mocks.reference import ReferenceStack
from aigw_conformance.mocks.reference.stack import provider_base
from aigw_conformance.mocks.selfhosted.app import create_app as create_selfhosted_app

CHAT = {"model": "gpt-5-mini", "messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 8}


def paths(root: str) -> list[str]:
    entries = httpx.get(root + "/__mock__/journal", trust_env=False).json()["data"]
    return [str(entry["path"]) for entry in entries]


@pytest.fixture(scope="module")
def separate_openai() -> Iterator[str]:
    with ServerThread(create_openai_app(), name="separate-openai") as server:
        yield server.base_url


def test_requests_land_in_the_separate_mock(separate_openai: str) -> None:
    before = len(paths(separate_openai))
    with ReferenceStack(provider_urls={"openai": separate_openai}) as stack, \
            OpenAI(base_url=stack.base_url, api_key=stack.token, max_retries=0) as sdk:
        assert stack.settings.upstreams["openai"] == separate_openai + "/v1"
        sdk.chat.completions.create(model="gpt-5-mini", messages=[{"role": "user", "content": "hi"}])
        sdk.embeddings.create(model="text-embedding-3-small", input="routed")
        speech = sdk.audio.speech.create(model="tts-1", voice="alloy", input="routed", response_format="wav")
        assert sdk.audio.transcriptions.create(model="whisper-1", file=("a.wav", speech.content)).text == "routed"
        sdk.chat.completions.create(model="gpt-oss-20b", messages=[{"role": "user", "content": "hi"}])  # the stack's
        own_openai, own_threatwinds = paths(stack.mock_url("openai")), paths(stack.mock_url("threatwinds"))
    landed = paths(separate_openai)[before:]
    assert landed == ["/v1/chat/completions", "/v1/embeddings", "/v1/audio/speech", "/v1/audio/transcriptions"]
    assert not [path for path in own_openai if path.startswith("/v1/")]
    assert own_threatwinds == ["/v1/chat/completions"]


def test_threatwinds_can_be_a_separate_self_hosted_mock() -> None:
    with ServerThread(create_selfhosted_app(), name="separate-vllm") as vllm, \
            ReferenceStack(provider_urls={"threatwinds": vllm.base_url + "/v1/"}) as stack:
        reply = httpx.post(stack.base_url + "/embeddings", json={"model": "qwen3-embedding-8b", "input": "x"},
                           headers={"authorization": f"Bearer {stack.token}"}, trust_env=False)
        assert reply.status_code == 200, reply.text
        assert paths(vllm.base_url)[-1] == "/v1/embeddings"


@pytest.mark.parametrize("name, url, expected", [
    ("openai", "http://127.0.0.1:9001", "http://127.0.0.1:9001/v1"),
    ("openai", "http://127.0.0.1:9001/", "http://127.0.0.1:9001/v1"),
    ("gemini", "http://127.0.0.1:9002", "http://127.0.0.1:9002/v1beta"),
    ("claude", "https://api.anthropic.com/v1", "https://api.anthropic.com/v1"),
    ("threatwinds", "http://vllm.internal:8000/v1/", "http://vllm.internal:8000/v1"),
    ("openai", "http://[::1]:9001/prefix", "http://[::1]:9001/prefix"),
])
def test_provider_base(name: str, url: str, expected: str) -> None:
    assert provider_base(name, url) == expected


@pytest.mark.parametrize("name, url, problem", [
    ("mistral", "http://127.0.0.1:9001", "unknown provider 'mistral'"),
    ("openai", "127.0.0.1:9001", "malformed URL"),
    ("openai", "ftp://host/v1", "malformed URL"),
    ("openai", "http://", "malformed URL"),
    ("openai", "http://host:99999", "malformed URL"),
    ("openai", "http://host:port", "malformed URL"),
    ("openai", "http://host/v1?x=1", "malformed URL"),
    ("openai", "http://ho st/v1", "malformed URL"),
])
def test_bad_provider_urls_are_refused_before_anything_starts(name: str, url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        ReferenceStack(provider_urls={name: url})


@pytest.mark.parametrize("argv, message", [
    (["--provider-url", "mistral=http://127.0.0.1:1"], "unknown provider 'mistral'"),
    (["--provider-url", "openai=not a url"], "malformed URL"),
    (["--provider-url", "openai"], "expects NAME=URL"),
    (["--provider-url", "=http://127.0.0.1:1"], "expects NAME=URL"),
    (["--provider-url", "openai=http://a:1", "--provider-url", "openai=http://b:1"], "given twice"),
    (["--upstream-timeout", "0"], "--upstream-timeout must be a positive"),
    (["--upstream-timeout", "-1"], "--upstream-timeout must be a positive"),
])
def test_cli_usage_errors_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "0", *argv]) == 2
    assert message in capsys.readouterr().err


def _served_lines(process: subprocess.Popen[str]) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    while not any("Ctrl-C" in line for line in lines):
        line = process.stdout.readline()
        assert line, f"serve exited early: {process.stderr.read() if process.stderr else ''}"
        lines.append(line)
    return lines


def test_cli_serve_sends_a_provider_to_the_given_url(separate_openai: str) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "aigw_conformance", "serve", "--port", "0", "--provider-url",
               f"openai={separate_openai}", "--upstream-timeout", "0.5", "--test-hooks"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as process:
        try:
            lines = _served_lines(process)
            base_url = next(line.split()[-1] for line in lines if line.startswith("reference gateway"))
            assert any(line.startswith("openai upstream") and separate_openai + "/v1" in line for line in lines)
            headers: dict[str, Any] = {"authorization": "Bearer dev-token"}
            before = len(paths(separate_openai))
            reply = httpx.post(base_url + "/chat/completions", json=CHAT, headers=headers, timeout=30,
                               trust_env=False)
            assert reply.status_code == 200, reply.text
            assert paths(separate_openai)[before:] == ["/v1/chat/completions"]
            slow = httpx.post(base_url + "/embeddings", json={"model": "text-embedding-3-small", "input": "x"},
                              headers={**headers, "x-mock-delay-ms": "3000"}, timeout=30, trust_env=False)
            assert slow.status_code == 500 and "Timeout" in slow.json()["error"]["message"]
            assert slow.elapsed.total_seconds() < 2.0
        finally:
            os.kill(process.pid, signal.SIGINT)
            assert process.wait(timeout=15) == 0
