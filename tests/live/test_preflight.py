"""Preflight: an unreachable base exits 3 with the reports written; refused credentials and a base that is not
the API exit 2 with what to fix, before any test runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from passthrough import ROUTER_KEY, PassThroughRouter

from aigw_conformance.cli import main
from aigw_conformance.mocks.reference.stack import ReferenceStack


def _check(base: str, tmp_path: Path, *extra: str) -> int:
    return main(["check", "--quiet", "--base-url", base, *extra, "--report-dir", str(tmp_path)])


def test_unreachable_exits_3_and_still_writes_every_report(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _check("http://127.0.0.1:9/api/ai/v1", tmp_path, "--token", "t") == 3
    assert "unreachable" in capsys.readouterr().err
    junit = (tmp_path / "junit.xml").read_text()
    assert "unreachable" in junit and 'failures="1"' in junit
    report = json.loads((tmp_path / "report.json").read_text())
    assert [r["id"] for r in report["results"]] == ["preflight"]
    assert (tmp_path / "report.md").exists() and (tmp_path / "report.html").exists()


def test_refused_credentials_exit_2_with_the_answer_and_run_nothing(
        served: ReferenceStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _check(served.base_url, tmp_path, "--token", "not-the-token") == 2
    err = capsys.readouterr().err
    assert "credentials refused (--token): GET /models -> 401" in err and "invalid bearer token" in err
    report = json.loads((tmp_path / "report.json").read_text())
    assert [r["id"] for r in report["results"]] == ["preflight"]  # not 100 failed tests, no ai-schema success
    assert _check(served.base_url, tmp_path, "--token", served.token, "--api-key", "k", "--api-secret", "s") == 2
    assert "credentials refused (--api-key/--api-secret)" in capsys.readouterr().err
    assert _check(served.base_url, tmp_path) == 2
    assert "no credentials given" in capsys.readouterr().err


def test_refused_credentials_behind_a_router_without_catalogue(
        router: PassThroughRouter, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _check(router.base_url, tmp_path, "--token", "wrong", "--model", "gpt-5") == 2
    assert "credentials refused (--token): POST /chat/completions -> 401" in capsys.readouterr().err


def test_a_base_below_the_api_is_told_the_right_one(
        served: ReferenceStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = served.base_url.removesuffix("/api/ai/v1")
    assert _check(root, tmp_path, "--token", served.token) == 2
    assert f"did you mean --base-url {served.base_url}?" in capsys.readouterr().err
    assert _check(served.base_url + "/chat/completions", tmp_path, "--token", served.token) == 2
    assert f"did you mean --base-url {served.base_url}?" in capsys.readouterr().err


def test_an_html_page_or_a_404_at_models_is_not_the_api(
        router: PassThroughRouter, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _check(router.root + "/console", tmp_path, "--token", ROUTER_KEY, "--model", "gpt-5") == 2
    err = capsys.readouterr().err
    assert "does not look like the AI API: an HTML page" in err and f"--base-url {router.base_url}?" in err
    assert _check(router.root, tmp_path, "--token", ROUTER_KEY, "--model", "gpt-5") == 2
    err = capsys.readouterr().err
    assert "GET /models -> 404 'Not Found'" in err and f"--base-url {router.base_url}?" in err


def test_the_client_gateway_base_is_checked_too(
        served: ReferenceStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    client = ["--client-base-url", served.client_base_url]
    assert main(["check", "--quiet", *client, "--client-token", "cgt_wrong", "--report-dir", str(tmp_path)]) == 2
    assert "credentials refused (--client-token): POST /chat/completions -> 401" in capsys.readouterr().err
    assert main(["check", "--quiet", "--client-base-url", served.base_url.removesuffix("/api/ai/v1"),
                 "--client-token", served.client_token, "--report-dir", str(tmp_path)]) == 2
    assert "is not the client gateway's base" in capsys.readouterr().err
    assert main(["check", "--quiet", *client, "--client-token", served.client_token, "--test", "client.",
                 "--report-dir", str(tmp_path)]) == 0  # client only: no AI API, no model discovery
