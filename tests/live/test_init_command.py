"""`aigw init`: a starter target file from probes, on which `aigw check --target` runs cleanly."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from passthrough import ROUTER_KEY, PassThroughRouter

from aigw_conformance.cli import main
from aigw_conformance.mocks.reference.stack import ReferenceStack
from aigw_conformance.suites.target import load_target


def test_init_against_the_reference_writes_a_file_check_passes(
        served: ReferenceStack, tmp_path: Path) -> None:
    out = tmp_path / "gw.toml"
    assert main(["init", "--base-url", served.base_url, "--token", served.token, "--out", str(out)]) == 0
    text = out.read_text()
    assert served.token not in text  # credentials stay out of the file
    assert "POST /chat/count -> 200" in text and "text/event-stream" in text
    target = load_target(out)
    assert target.exempt == {} and target.models_for("uncountable") == ("claude-sonnet-4-5",)
    assert main(["check", "--quiet", "--target", str(out), "--token", served.token, "--profile", "ai-core",
                 "--profile", "ai-extended", "--report-dir", str(tmp_path / "r")]) == 0
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["summary"]["failed"] == 0 and report["summary"]["passed"] > 40


def test_init_against_a_router_without_catalogue_exempts_what_is_absent(
        router: PassThroughRouter, tmp_path: Path) -> None:
    out = tmp_path / "router.toml"
    assert main(["init", "--base-url", router.base_url, "--token", ROUTER_KEY, "--model", "gpt-5",
                 "--out", str(out)]) == 0
    exempt = tomllib.loads(out.read_text())["features"]["exempt"]
    assert exempt["token-counting"] == "POST /chat/count -> 404 text/plain: the endpoint is not served"
    assert exempt["models"].startswith("GET /models -> 404")
    assert "without x-error" in exempt["error-headers"]
    assert {"embeddings", "audio", "voices", "data-store"} <= set(exempt)
    assert "chat-streaming" not in exempt and "stream-usage" not in exempt
    # ai-auth and ai-sdk read the (absent) catalogue on the way: with `models` exempt those lookups' 404s are not
    # applicable (suites/checks/ownership.py OPERATIONS), not failures of the auth and SDK tests.
    assert main(["check", "--quiet", "--target", str(out), "--token", ROUTER_KEY, "--profile", "ai-core",
                 "--profile", "ai-streaming", "--profile", "ai-extended", "--profile", "ai-auth", "--profile",
                 "ai-sdk", "--report-dir", str(tmp_path / "r")]) == 0
    results = {r["id"]: r for r in json.loads((tmp_path / "r" / "report.json").read_text())["results"]}
    # A pass-through router relays its upstream's `id` and `created`; the mock upstream gives each answer a fresh id
    # and the current time, as OpenAI does, so provider_path.identity passes (it failed while the mock's ids were
    # derived from the request).
    failed = {r["id"]: {f["check"] for f in r["failures"]} for r in results.values() if r["outcome"] == "failed"}
    assert failed == {}, failed
    assert results["provider_path.identity"]["outcome"] == "passed"
    assert results["models.list"]["message"].startswith("feature 'models' is exempt for this target: GET /models")
    assert results["chat.simple"]["outcome"] == results["stream.include_usage"]["outcome"] == "passed"
    assert results["auth.wrong_bearer"]["outcome"] == "passed"
    assert results["sdk.models"]["outcome"] == "skipped"  # no GET /models/{id}: never named by the documents
    assert "the documents never name this operation" in results["sdk.models"]["message"]
    set_aside = {na["feature"] for na in results["auth.wrong_bearer"]["not_applicable"]}
    assert set_aside == {"models"}


def test_init_refuses_to_overwrite_and_needs_a_model_without_catalogue(
        router: PassThroughRouter, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "router.toml"
    assert main(["init", "--base-url", router.base_url, "--token", ROUTER_KEY, "--out", str(out)]) == 2
    assert "give --model" in capsys.readouterr().err and not out.exists()
    out.write_text("mine")
    assert main(["init", "--base-url", router.base_url, "--token", ROUTER_KEY, "--model", "gpt-5",
                 "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err and out.read_text() == "mine"


def test_init_runs_the_preflight(served: ReferenceStack, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "gw.toml"
    assert main(["init", "--base-url", served.base_url, "--token", "wrong", "--out", str(out)]) == 2
    assert "credentials refused" in capsys.readouterr().err and not out.exists()
    assert main(["init", "--base-url", "http://127.0.0.1:9/v1", "--out", str(out)]) == 3


def test_init_usage_errors_exit_2_before_any_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["init", "--base-url", "http://127.0.0.1:9/v1"]
    assert main([*base, "--out", str(tmp_path / "missing" / "t.toml")]) == 2
    assert "is not a directory" in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path / "t.toml"), "--timeout", "0"]) == 2
    assert main([*base, "--out", str(tmp_path / "t.toml"), "--api-key", "k"]) == 2
    assert main(["init", "--base-url", "gateway.example.com", "--out", str(tmp_path / "t.toml")]) == 2
    assert "http(s) URL" in capsys.readouterr().err


def test_init_writes_the_client_base_after_checking_its_token(
        served: ReferenceStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "gw.toml"
    common = ["init", "--base-url", served.base_url, "--token", served.token, "--client-base-url",
              served.client_base_url, "--out", str(out)]
    assert main([*common, "--client-token", "cgt_wrong"]) == 2
    assert "credentials refused (--client-token)" in capsys.readouterr().err
    assert main([*common, "--client-token", served.client_token]) == 0
    written = load_target(out)
    assert written.client_base_url == served.client_base_url and written.client_token is None
