"""A gateway reached only with a routing header: `--header`, `[headers]`, env credentials and `${VAR}` get there."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aigw_conformance.cli import main
from aigw_conformance.mocks.reference.client import CLIENT_BASE_PATH
from tests.suites.routed import ROUTE_VALUE, Routed, routed_reference

REPORT_FILES = ("report.json", "junit.xml", "report.md", "report.html")
# every kind of traffic: the catalogue, chat and a stream, every auth test (they remove the credentials), SDK probes,
# and schemathesis
SELECTION = ("models.list", "models.retrieve", "chat.simple", "stream.basic", "auth.", "sdk.models", "sdk.chat",
             "schema.models.get.positive")
ENV_CREDENTIALS = ("AIGW_TOKEN", "AIGW_API_KEY", "AIGW_API_SECRET", "AIGW_CLIENT_TOKEN")


@pytest.fixture(scope="module")
def routed() -> Iterator[Routed]:
    with routed_reference() as running:
        yield running


@pytest.fixture(autouse=True)
def no_credentials_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_CREDENTIALS:
        monkeypatch.delenv(name, raising=False)


def check(tmp_path: Path, *args: str, tests: tuple[str, ...] = SELECTION) -> tuple[int, dict[str, Any]]:
    selected = [option for test in tests for option in ("--test", test)]
    code = main(["check", "--quiet", "--examples", "3", "--report-dir", str(tmp_path), *selected, *args])
    return code, json.loads((tmp_path / "report.json").read_text())


def outcomes(report: dict[str, Any]) -> dict[str, str]:
    return {result["id"]: result["outcome"] for result in report["results"]}


def test_without_the_routing_header_the_preflight_says_the_base_is_not_the_api(
        routed: Routed, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "--quiet", "--report-dir", str(tmp_path), "--base-url", routed.base_url, "--token",
                 routed.stack.token, "--test", "models.list"])
    assert code == 2 and "does not look like the AI API: GET /models -> 404" in capsys.readouterr().err


def test_every_profile_sends_the_routing_header_and_no_report_shows_it(routed: Routed, tmp_path: Path) -> None:
    unrouted = routed.guard.unrouted
    stack = routed.stack
    code, report = check(tmp_path, "--base-url", routed.base_url, "--token", stack.token, "--api-key",
                         stack.api_key, "--api-secret", stack.api_secret, "--header", routed.header())
    assert code == 0, [r["message"] for r in report["results"] if r["outcome"] == "failed"]
    ran = outcomes(report)
    for test in ("models.list", "chat.simple", "stream.basic", "auth.missing_credentials", "auth.wrong_bearer",
                 "auth.wrong_key", "auth.key_without_secret", "auth.api_key_accepted", "sdk.models", "sdk.chat",
                 "schema.models.get.positive"):
        assert ran[test] == "passed", test
    assert routed.guard.unrouted == unrouted  # the auth tests without credentials kept the routing header too
    for name in REPORT_FILES:
        assert ROUTE_VALUE not in (tmp_path / name).read_text(encoding="utf-8"), name


def test_the_client_gateway_gets_the_header_and_its_token_from_the_environment(
        routed: Routed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIGW_CLIENT_TOKEN", routed.stack.client_token)
    client_base = routed.base_url.replace("/api/ai/v1", CLIENT_BASE_PATH)
    target = tmp_path / "client.toml"  # client model keys come only from a target file (no catalogue names them)
    target.write_text(f'name = "routed-client"\n[client]\nbase_url = "{client_base}"\n'
                      '[models]\nclient_chat = "gpt-4"\nclient_stream = "gpt-5"\n')
    code, report = check(tmp_path / "out", "--target", str(target), "--header", routed.header(),
                         tests=("client.chat.hello", "client.stream.basic"))
    assert code == 0 and outcomes(report) == {"client.chat.hello": "passed", "client.stream.basic": "passed"}


def test_credentials_come_from_the_environment_and_flags_override_them(
        routed: Routed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stack, base = routed.stack, ("--base-url", routed.base_url, "--header", routed.header())
    tests = ("models.list", "auth.bearer_accepted", "auth.api_key_accepted")
    monkeypatch.setenv("AIGW_TOKEN", stack.token)
    monkeypatch.setenv("AIGW_API_KEY", stack.api_key)
    monkeypatch.setenv("AIGW_API_SECRET", stack.api_secret)
    code, report = check(tmp_path / "env", *base, tests=tests)
    assert code == 0 and set(outcomes(report).values()) == {"passed"}
    monkeypatch.setenv("AIGW_TOKEN", "aigw-wrong-token")
    assert main(["check", "--quiet", "--report-dir", str(tmp_path / "wrong"), *base, "--test", "models.list"]) == 2
    code, report = check(tmp_path / "flag", *base, "--token", stack.token, tests=("models.list",))
    assert code == 0 and outcomes(report) == {"models.list": "passed"}


def test_an_api_key_without_its_secret_in_the_environment_is_a_usage_error(
        routed: Routed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("AIGW_API_KEY", routed.stack.api_key)
    assert main(["check", "--quiet", "--base-url", routed.base_url]) == 2
    assert "AIGW_API_KEY and AIGW_API_SECRET go together" in capsys.readouterr().err


def test_a_target_file_takes_headers_and_credentials_from_environment_variables(
        routed: Routed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "routed.toml"
    target.write_text('name = "routed"\n[api]\nbase_url = "${ROUTED_BASE}"\n[auth]\ntoken = "${ROUTED_TOKEN}"\n'
                      '[headers]\nx-route = "${ROUTED_ROUTE}"\n[models]\nchat = "gpt-5"\n')
    monkeypatch.setenv("ROUTED_BASE", routed.base_url)
    monkeypatch.setenv("ROUTED_TOKEN", routed.stack.token)
    monkeypatch.setenv("ROUTED_ROUTE", ROUTE_VALUE)
    code, report = check(tmp_path / "out", "--target", str(target), tests=("models.list", "chat.simple"))
    assert code == 0 and set(outcomes(report).values()) == {"passed"}


def test_a_load_run_sends_the_routing_header_on_every_request(routed: Routed, tmp_path: Path) -> None:
    unrouted = routed.guard.unrouted
    code = main(["load", "chat", "--base-url", routed.base_url, "--token", routed.stack.token, "--header",
                 routed.header(), "--model", "gpt-5", "--users", "2", "--duration", "2", "--quiet",
                 "--report-dir", str(tmp_path)])
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert code == 0 and summary["requests"] > 0 and summary["errors"] == 0, summary
    assert routed.guard.unrouted == unrouted
    assert ROUTE_VALUE not in (tmp_path / "locust-main.log").read_text(encoding="utf-8", errors="replace")
