"""`aigw check` on the literal gateway (issue 15): what the documents show passes the default gate; a defect fails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from literal import TARGET_FILE, LiteralGateway

from aigw_conformance.cli import main
from aigw_conformance.suites.selftest import stack_upstream


@pytest.fixture(scope="module")
def literal() -> Iterator[LiteralGateway]:
    with LiteralGateway() as running:
        yield running


def _check(gateway: LiteralGateway, directory: Path, *selection: str) -> tuple[int, dict[str, Any]]:
    """`aigw check` with literal.toml plus the reference's mock roots as [upstream]; the exit code and report."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "literal.toml"
    upstream = "".join(f'{name} = "{root}"\n' for name, root in stack_upstream(gateway.stack).items())
    target.write_text(TARGET_FILE.read_text(encoding="utf-8") + "\n[upstream]\n" + upstream, encoding="utf-8")
    code = main(["check", "--quiet", "--target", str(target), "--base-url", gateway.base_url, "--client-base-url",
                 gateway.client_base_url, "--client-token", gateway.stack.client_token, "--report-dir",
                 str(directory), *selection])
    return code, dict(json.loads((directory / "report.json").read_text(encoding="utf-8")))


def _failures(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Every failure of every failed test: the test, the check, its grounds and message."""
    return [{"test": result["id"], "check": failure["check"], "message": failure["message"],
             "documented": not failure["inferred"] and failure.get("grounds") != "convention"}
            for result in report["results"] if result["outcome"] == "failed"
            for failure in result["failures"] or [{"check": "", "message": result["message"], "inferred": False}]]


def test_the_literal_gateway_passes_the_default_gate(
        literal: LiteralGateway, tmp_path: Path, record_property: Any) -> None:
    code, report = _check(literal, tmp_path)
    failures = _failures(report)
    record_property("failures", json.dumps(failures))
    documented = [f"{row['test']} [{row['check']}] {row['message'][:200]}" for row in failures if row["documented"]]
    assert report["summary"]["passed"] > 90
    assert code == 0 and not documented, documented


def test_the_literal_gateway_without_its_error_headers_fails_the_gate(tmp_path: Path) -> None:
    """001: "All error responses include the following custom headers" (x-error, x-error-id): dropped, the gate
    fails, naming both checks; the same tests pass on the literal gateway that keeps them."""
    selection = ("--test", "errors.*")
    with LiteralGateway(drop_error_headers=True) as defective:
        code, report = _check(defective, tmp_path / "defective", *selection)
    failed = {row["check"] for row in _failures(report) if row["documented"]}
    assert code == 1 and {"errors.x_error", "errors.x_error_id"} <= failed, failed
    with LiteralGateway() as clean:
        assert _check(clean, tmp_path / "clean", *selection)[0] == 0


def test_the_literal_gateway_answers_as_the_documents_show(literal: LiteralGateway) -> None:
    """The fixture's reshapings hold: error bodies, the catalogue, one choice on Gemini, 002's request IDs."""
    bearer = {"authorization": f"Bearer {literal.stack.token}"}
    client_bearer = {"authorization": f"Bearer {literal.stack.client_token}"}
    hello = [{"role": "user", "content": "Hello"}]
    with httpx.Client(timeout=30, trust_env=False) as http:
        error = http.post(f"{literal.base_url}/chat/completions", headers=bearer, json={"model": "gpt-5"})
        assert error.status_code == 400 and set(error.json()["error"]) == {"message", "type"}
        assert error.headers["x-error"] and error.headers["x-error-id"]
        models = http.get(f"{literal.base_url}/models", headers=bearer).json()
        assert set(models) == {"data"} and not {"object", "created"} & set(models["data"][0])
        assert http.get(f"{literal.base_url}/models/gpt-5", headers=bearer).status_code == 404
        gemini = http.post(f"{literal.base_url}/chat/completions", headers=bearer,
                           json={"model": "gemini-3-flash", "messages": hello, "n": 2, "max_completion_tokens": 8})
        assert len(gemini.json()["choices"]) == 1
        sent = {"model": "gpt-4", "messages": hello, "request_id": "optional-correlation-id"}
        answer = http.post(f"{literal.client_base_url}/chat/completions", headers=client_bearer, json=sent)
        assert answer.json()["request_id"].startswith("req_") and "x-request-id" not in answer.headers
        with http.stream("POST", f"{literal.client_base_url}/chat/completions", headers=client_bearer,
                         json={**sent, "stream": True}) as stream:
            events = stream.read().decode()
        assert stream.headers["x-request-id"].startswith("req_")
        assert "data: [DONE]" in events and "finish_reason" not in events and '"content"' in events


def test_without_get_models_id_its_tests_skip_with_the_reason_and_auth_covers_the_declared_operations(
        literal: LiteralGateway, tmp_path: Path) -> None:
    """GET /models/{id} is never named by the documents: where a gateway lacks it, the tests that need it skip
    naming why, and the auth tests run on GET /models, chat, and the declared /chat/count and /embeddings."""
    _, report = _check(literal, tmp_path, "--test", "models.retrieve", "--test", "sdk.models", "--test",
                          "auth.missing_credentials", "--test", "validation.max_completion_tokens")
    results = {result["id"]: result for result in report["results"]}
    for test in ("models.retrieve", "sdk.models"):
        assert results[test]["outcome"] == "skipped", results[test]
        assert "the documents never name this operation" in results[test]["message"]
    # its limit read from GET /models (it may still fail on the catalogue's OpenAI fields, a convention)
    assert results["validation.max_completion_tokens"]["outcome"] != "skipped"
    assert results["auth.missing_credentials"]["outcome"] == "passed"
    sent = {request for request in literal.requests if request.startswith(("GET", "POST"))}
    assert {"POST /api/ai/v1/chat/count", "POST /api/ai/v1/embeddings"} <= sent, sent
