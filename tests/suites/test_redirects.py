"""A redirecting gateway: no request path follows it, no credential or body reaches the host `Location` names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from untrusted import CaptureServer, UntrustedServer

from aigw_conformance.cli import main
from aigw_conformance.reports.model import TestResult
from aigw_conformance.suites.runner import run
from aigw_conformance.suites.target import Target

# A plain Probe request, a stream, the schemathesis path (positive with a body, negative), the openai SDK
TESTS = ("models.list", "stream.basic", "schema.chat.completions.post.positive", "schema.models.get.negative",
         "sdk.models", "sdk.chat")
SECRETS = ("pair-key-0123", "pair-secret-4567", "bearer-token-89ab")


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[UntrustedServer, CaptureServer]]:
    with CaptureServer() as capture, UntrustedServer(capture) as server:
        yield server, capture


def target(base_url: str, *, pair: bool) -> Target:
    credentials = ({"api_key": SECRETS[0], "api_secret": SECRETS[1]} if pair else {"token": SECRETS[2]})
    return Target(name="redirecting", base_url=base_url, models={"chat": "m"}, timeout_s=2.0, examples=2,
                  headers={"x-routing": "extra-header-value"}, **credentials)  # type: ignore[arg-type]


def transport_failures(result: TestResult) -> list[str]:
    return [failure.message for failure in result.failures if failure.check == "transport"]


@pytest.mark.parametrize("behaviour", ["redirect-307", "redirect-302"])
@pytest.mark.parametrize("pair", [True, False], ids=["api-key pair", "bearer"])
def test_no_redirect_is_followed_and_nothing_reaches_the_other_host(
    servers: tuple[UntrustedServer, CaptureServer], behaviour: str, pair: bool
) -> None:
    server, capture = servers
    capture.requests.clear()
    report = run(target(server.url(behaviour), pair=pair), only=TESTS)
    assert capture.requests == []  # no request at all: no credential, no extra header, no body
    ran = [result for result in report.results if result.outcome != "skipped"]
    assert {result.id for result in ran} >= {"models.list", "stream.basic", "schema.chat.completions.post.positive"}
    status = behaviour.removeprefix("redirect-")
    for result in ran:
        assert [failure.check for failure in result.failures if failure.check == "harness.error"] == [], result
        (message,) = transport_failures(result)
        assert f"answered {status} with Location: {capture.root}/stolen/" in message, message
        assert "not followed" in message, message


def test_a_redirect_loop_is_a_transport_failure_not_a_harness_bug(
    servers: tuple[UntrustedServer, CaptureServer]
) -> None:
    server, _ = servers
    report = run(target(server.url("redirect-loop"), pair=True),
                 only=("models.list", "schema.models.get.negative", "schema.chat.completions.post.negative"))
    assert len(report.results) == 3
    for result in report.results:
        assert result.outcome == "failed"
        assert [failure.check for failure in result.failures] == ["transport"], result
        assert "answered 302" in result.failures[0].message and "bug in aigw" not in result.message
    assert len([request for request in server.requests if "loop" in request.path]) <= 2 * 3  # one per case tried


def test_aigw_check_stops_at_the_preflight_naming_the_redirect(
    servers: tuple[UntrustedServer, CaptureServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server, capture = servers
    capture.requests.clear()
    code = main(["check", "--base-url", server.url("redirect-307"), "--api-key", SECRETS[0], "--api-secret",
                 SECRETS[1], "--model", "m", "--timeout", "2", "--report-dir", str(tmp_path)])
    assert code == 3 and capture.requests == []
    assert f"GET /models: the target answered 307 with Location: {capture.root}/stolen/" in capsys.readouterr().err
