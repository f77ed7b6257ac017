"""`aigw serve`: with credential flags only the credentials given work (built-in ones when asked for); limit flags."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from served import interrupt, serve

from aigw_conformance import serve_options
from aigw_conformance.cli import build_parser, main
from aigw_conformance.mocks.reference import ReferenceStack
from aigw_conformance.suites.selftest import reference_stack
from aigw_conformance.suites.target import REFERENCE_TARGET, load_target

BUILT_IN_BEARERS = ["dev-token", "dev-token-2", "dev-token-no-ai", "dev-token-mini"]


def settings_of(*argv: str) -> dict[str, object]:
    return serve_options.credentials(build_parser().parse_args(["serve", *argv]))


def test_without_credential_flags_the_built_in_ones_stay() -> None:
    assert settings_of() == {}


def test_credential_flags_switch_every_other_credential_off() -> None:
    assert settings_of("--token", "tok-1") == {
        "token": "tok-1", "api_key": "", "api_secret": "", "client_tokens": (), "tenants": {}, "tenant_keys": {},
        "no_access_tokens": (), "token_models": {}}
    assert settings_of("--client-token", "cgt_x")["token"] == ""
    assert settings_of("--token", "tok-1", "--dev-credentials") == {"token": "tok-1"}


@pytest.mark.parametrize("argv, message", [
    (["--api-key", "k"], "go together"), (["--api-secret", "s"], "go together"), (["--token", " "], "non-empty"),
    (["--client-token", ""], "non-empty"),
])
def test_unusable_credential_flags(argv: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        settings_of(*argv)


def _status(url: str, headers: dict[str, str]) -> int:
    return httpx.get(url, headers=headers, trust_env=False, timeout=30).status_code


def test_empty_primary_credentials_accept_nothing() -> None:
    with ReferenceStack(**settings_of("--client-token", "cgt_only")) as stack:
        models = stack.base_url + "/models"
        for headers in ({"authorization": "Bearer"}, {"api-key": "", "api-secret": ""},
                        {"authorization": "Bearer dev-token"}, {"api-key": "dev-key", "api-secret": "dev-secret"}):
            assert _status(models, headers) == 401, headers
        chat = {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}
        client = stack.client_base_url + "/chat/completions"
        assert httpx.post(client, json=chat, headers={"authorization": "Bearer cgt_dev-token"},
                          trust_env=False, timeout=30).status_code == 401
        assert httpx.post(client, json=chat, headers={"authorization": "Bearer cgt_only"},
                          trust_env=False, timeout=30).status_code == 200


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """`aigw serve --port 0 ARGV` in its own process: (gateway API base, what it printed); Ctrl-C ends it cleanly."""
    server = serve(*request.param)
    try:
        yield server.base_url, "".join(server.lines)
    finally:
        assert interrupt(server.process) == 0


@pytest.mark.parametrize("served", [["--token", "tok-1", "--api-key", "k-1", "--api-secret", "s-1"]], indirect=True)
def test_serve_with_credentials_accepts_only_those(served: tuple[str, str]) -> None:
    base_url, printed = served
    assert _status(base_url + "/models", {"authorization": "Bearer tok-1"}) == 200
    assert _status(base_url + "/models", {"api-key": "k-1", "api-secret": "s-1"}) == 200
    for token in BUILT_IN_BEARERS:
        assert _status(base_url + "/models", {"authorization": f"Bearer {token}"}) == 401, token
        assert token not in printed
    assert _status(base_url + "/models", {"api-key": "dev-key-2", "api-secret": "dev-secret-2"}) == 401


@pytest.mark.parametrize("served", [["--token", "tok-1", "--dev-credentials"], []], indirect=True,
                         ids=["--dev-credentials", "no credential flags"])
def test_built_in_credentials_are_printed_when_on(served: tuple[str, str]) -> None:
    base_url, printed = served
    for token in BUILT_IN_BEARERS[1:]:  # with --token given, dev-token is replaced
        assert token in printed
    assert "cgt_dev-token" in printed and "dev-key-2 / dev-secret-2" in printed
    assert "publicly known" in printed
    assert _status(base_url + "/models", {"authorization": "Bearer dev-token-mini"}) == 200


def test_the_reference_the_harness_starts_keeps_the_built_in_credentials() -> None:
    """`aigw check` and `aigw selftest` start the reference in code (not through `aigw serve`): the suite's
    target file names the built-in credentials, and the reference accepts them."""
    settings = reference_stack(load_target(REFERENCE_TARGET)).settings  # built, not started
    assert (settings.token, settings.api_key, settings.api_secret) == ("dev-token", "dev-key", "dev-secret")
    assert "dev-token-2" in settings.tenants and "dev-token-no-ai" in settings.no_access_tokens
    assert "dev-token-mini" in settings.token_models and "cgt_dev-token" in settings.client_tokens


@pytest.mark.parametrize("argv", [["--max-connections", "0"], ["--header-timeout", "nan"], ["--body-timeout", "inf"],
                                  ["--max-headers", "-1"], ["--max-body-bytes", "0"]])
def test_unusable_limit_flags_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "0", *argv]) == 2
    assert "must be positive" in capsys.readouterr().err
