"""`provider_keys` / `aigw serve --provider-key NAME=KEY` (or $OPENAI_API_KEY, ...): the credential the gateway
sends to a provider given by `--provider-url`, so a real provider, or a mock started with its own key, can be
fronted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from aigw_conformance import mocks_cli
from aigw_conformance.cli import main
from aigw_conformance.mocks import registry
from aigw_conformance.mocks.anthropic.app import create_app as create_anthropic_app
from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.gemini.app import create_app as create_gemini_app
from aigw_conformance.mocks.openai.app import create_app as create_openai_app
from aigw_conformance.mocks.reference import ReferenceStack

KEYS = {"openai": "sk-separate-openai", "claude": "sk-ant-separate", "gemini": "AIza-separate"}
FACTORIES: dict[str, Callable[[str], Any]] = {
    "openai": lambda key: create_openai_app(key), "claude": create_anthropic_app, "gemini": create_gemini_app}
MODELS = {"openai": "gpt-5-mini", "claude": "claude-haiku-4-5", "gemini": "gemini-3-flash"}


def chat(stack_base: str, model: str) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 8}
    return httpx.post(stack_base + "/chat/completions", json=body, headers={"authorization": "Bearer dev-token"},
                      timeout=30, trust_env=False)


@pytest.fixture(scope="module")
def separate() -> Iterator[dict[str, str]]:
    """Each provider's mock, started apart and accepting only its own key (not the gateway's mocks' key)."""
    servers = {name: ServerThread(FACTORIES[name](KEYS[name]), name=f"separate-{name}") for name in KEYS}
    try:
        yield {name: server.start() for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()


@pytest.mark.parametrize("provider", sorted(KEYS))
def test_each_provider_gets_its_own_key_in_its_own_header(separate: dict[str, str], provider: str) -> None:
    with ReferenceStack(provider_urls=separate, provider_keys=KEYS) as stack:
        reply = chat(stack.base_url, MODELS[provider])
    assert reply.status_code == 200, reply.text


def test_without_the_key_the_separate_mock_refuses_the_mocks_key(separate: dict[str, str]) -> None:
    with ReferenceStack(provider_urls={"openai": separate["openai"]}) as stack:
        refused = chat(stack.base_url, MODELS["openai"])
        assert chat(stack.base_url, MODELS["claude"]).status_code == 200, "the bundled claude mock keeps its key"
    assert refused.status_code >= 400 and refused.headers.get("x-error")


def test_embeddings_and_audio_use_the_providers_key(separate: dict[str, str]) -> None:
    with ReferenceStack(provider_urls={"openai": separate["openai"]}, provider_keys={"openai": KEYS["openai"]}) \
            as stack:
        reply = httpx.post(stack.base_url + "/embeddings", json={"model": "text-embedding-3-small", "input": "x"},
                           headers={"authorization": "Bearer dev-token"}, timeout=30, trust_env=False)
    assert reply.status_code == 200, reply.text


@pytest.mark.parametrize("keys, problem", [({"gemini": "k"}, "without their URL"), ({"openai": " "}, "empty key")])
def test_unusable_keys_are_refused_before_anything_starts(keys: dict[str, str], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        ReferenceStack(provider_urls={"openai": "http://127.0.0.1:9"}, provider_keys=keys)


@pytest.mark.parametrize("argv, message", [
    (["--provider-key", "openai=sk-x"], "needs --provider-url openai=URL"),
    (["--provider-url", "openai=http://127.0.0.1:9", "--provider-key", "openai"], "expects NAME=KEY"),
    (["--provider-url", "openai=http://127.0.0.1:9", "--provider-key", "openai=a", "--provider-key", "openai=b"],
     "given twice"),
])
def test_cli_key_usage_errors_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "0", *argv]) == 2
    assert message in capsys.readouterr().err


def _serve(argv: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], list[str]]:
    command = [sys.executable, "-m", "aigw_conformance", "serve", "--port", "0", *argv]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1", **env})
    assert process.stdout is not None
    lines: list[str] = []
    while not any("Ctrl-C" in line for line in lines):
        line = process.stdout.readline()
        if not line:
            process.kill()
            raise AssertionError(f"serve exited early: {process.communicate()[1]}")
        lines.append(line)
    return process, lines


@pytest.mark.parametrize("argv, env, source", [
    (["--provider-key", f"claude={KEYS['claude']}"], {"ANTHROPIC_API_KEY": "sk-ant-wrong"}, "--provider-key"),
    ([], {"ANTHROPIC_API_KEY": KEYS["claude"]}, "$ANTHROPIC_API_KEY"),
])
def test_cli_serve_takes_the_key_from_the_flag_else_the_environment(
    separate: dict[str, str], argv: list[str], env: dict[str, str], source: str
) -> None:
    process, lines = _serve(["--provider-url", f"claude={separate['claude']}", *argv], env)
    try:
        base_url = next(line.split()[-1] for line in lines if line.startswith("reference gateway"))
        upstream = next(line for line in lines if line.startswith("claude upstream"))
        assert f"key: {source}" in upstream and KEYS["claude"] not in "".join(lines), "the key is never printed"
        reply = chat(base_url, MODELS["claude"])
        assert reply.status_code == 200, reply.text
    finally:
        os.kill(process.pid, signal.SIGINT)
        assert process.wait(timeout=15) == 0
        process.communicate()


def test_a_mock_served_with_an_api_key_is_fronted_with_that_key() -> None:
    """`aigw mocks serve --provider openai --api-key K` then `aigw serve --provider-url openai=ROOT
    --provider-key openai=K`: the mock refuses every other key, the gateway gets through with K."""
    (server,) = mocks_cli._start([registry.load("openai")], 0, None, "sk-served")
    try:
        refused = httpx.get(server.base_url + "/v1/models", headers={"authorization": "Bearer sk-other"},
                            trust_env=False)
        assert refused.status_code == 401
        with ReferenceStack(provider_urls={"openai": server.base_url}, provider_keys={"openai": "sk-served"}) \
                as stack:
            assert chat(stack.base_url, MODELS["openai"]).status_code == 200
    finally:
        server.stop()


def test_mocks_serve_refuses_an_empty_api_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mocks", "serve", "--provider", "openai", "--port", "0", "--api-key", " "]) == 2
    assert "--api-key must not be empty" in capsys.readouterr().err
