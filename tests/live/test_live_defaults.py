"""`aigw check --base-url` without a target file: nothing of the reference's settings, models discovered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from passthrough import ROUTER_KEY, PassThroughRouter

from aigw_conformance.cli import main
from aigw_conformance.mocks.reference.stack import ReferenceStack
from aigw_conformance.suites.discovery import (
    Catalogue,
    CatalogueModel,
    discover,
    live_target,
    parse_catalogue,
    with_discovered_models,
)
from aigw_conformance.suites.exchange import Probe
from aigw_conformance.suites.target import Target

NEEDS_KEYS = ["auth.no_ai_access", "auth.model_not_allowed", "store.tenant_isolation", "translation.routing"]


def _report(directory: Path) -> dict[str, Any]:
    return dict(json.loads((directory / "report.json").read_text()))


def test_a_live_base_is_named_by_its_host_and_never_inherits_the_reference(
        served: ReferenceStack, tmp_path: Path) -> None:
    selection = [arg for test in ["chat.simple", "models.list", *NEEDS_KEYS] for arg in ("--test", test)]
    code = main(["check", "--quiet", "--base-url", served.base_url, "--token", served.token, *selection,
                 "--report-dir", str(tmp_path)])
    report = _report(tmp_path)
    assert code == 0, [r["message"] for r in report["results"] if r["outcome"] == "failed"]
    assert report["target"]["name"] == served.base_url.split("/")[2]  # host:port, never "reference"
    outcomes = {r["id"]: (r["outcome"], r["message"]) for r in report["results"]}
    assert outcomes["chat.simple"][0] == outcomes["models.list"][0] == "passed"
    assert "[auth.restricted]" in outcomes["auth.no_ai_access"][1]
    assert "[auth.restricted_models]" in outcomes["auth.model_not_allowed"][1]
    assert "[auth.second_tenant]" in outcomes["store.tenant_isolation"][1]
    assert "[upstream]" in outcomes["translation.routing"][1]
    assert all(outcomes[test][0] == "skipped" for test in NEEDS_KEYS)


def test_name_flag_names_the_target(served: ReferenceStack, tmp_path: Path) -> None:
    assert main(["check", "--quiet", "--base-url", served.base_url, "--token", served.token, "--name", "gw-a",
                 "--test", "chat.simple", "--report-dir", str(tmp_path)]) == 0
    assert _report(tmp_path)["target"]["name"] == "gw-a"


def test_models_are_discovered_from_the_catalogue_per_capability_and_provider(served: ReferenceStack) -> None:
    target = live_target(served.base_url).with_overrides(base_url=served.base_url, token=served.token)
    probe = Probe(timeout_s=30)
    try:
        catalogue = discover(probe, target)
    finally:
        probe.close()
    assert catalogue.models is not None and "GET /models -> 200" in catalogue.evidence
    by_key = catalogue.models_by_key()
    assert by_key["chat"] == ("gpt-5", "gpt-oss-20b", "gemini-3-pro", "claude-sonnet-4-5")  # one per provider
    assert by_key["n"] == by_key["seed"] == by_key["logprobs"] == ("gpt-5", "gpt-oss-20b")  # 000's table
    assert "gemini-3-pro" not in by_key["structured"] and by_key["uncountable"] == ("claude-sonnet-4-5",)
    assert by_key["vision"] == ("gpt-5", "gemini-3-pro", "claude-sonnet-4-5")  # capability image
    assert by_key["embedding"] == ("text-embedding-3-small", "qwen3-embedding-8b")
    assert by_key["speech"] == ("tts-1", "kokoro-82m") and by_key["transcription"] == ("whisper-1", "whisper-large-v3")


def test_discovered_models_fill_every_key_and_flags_win() -> None:
    catalogue = Catalogue((CatalogueModel("g", "gemini", frozenset({"chat", "tools-use"})),
                           CatalogueModel("e", "openai", frozenset({"embeddings"}))), "GET /models -> 200")
    target = with_discovered_models(Target(models={"chat": "pinned"}), catalogue)
    assert target.models_for("chat") == ("pinned",) and target.models_for("tools") == ("g",)
    assert target.models_for("n") == () and target.models_for("embedding", fallback=False) == ("e",)
    assert with_discovered_models(Target(), Catalogue(None, "GET /models -> 404")) == Target()


def test_an_empty_model_list_skips_that_key_s_tests(served: ReferenceStack, tmp_path: Path) -> None:
    file = tmp_path / "t.toml"
    file.write_text('[models]\nchat = "gpt-5"\nn = []\n')
    assert main(["check", "--quiet", "--target", str(file), "--base-url", served.base_url, "--token", served.token,
                 "--test", "chat.n_choices", "--report-dir", str(tmp_path)]) == 0
    result = _report(tmp_path)["results"][0]
    assert result["outcome"] == "skipped" and "[models] n" in result["message"]


def test_without_a_catalogue_model_comes_from_the_flag_or_the_run_stops(
        router: PassThroughRouter, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--quiet", "--base-url", router.base_url, "--token", ROUTER_KEY,
                 "--report-dir", str(tmp_path)]) == 2
    assert "give --model" in capsys.readouterr().err
    assert main(["check", "--quiet", "--base-url", router.base_url, "--token", ROUTER_KEY, "--model", "gpt-5",
                 "--test", "chat.simple", "--report-dir", str(tmp_path)]) == 0
    assert "every model test uses --model gpt-5" in capsys.readouterr().out


def test_fuzzing_with_only_a_key_pair_sends_no_generated_bearer(served: ReferenceStack, tmp_path: Path) -> None:
    assert main(["check", "--quiet", "--base-url", served.base_url, "--api-key", served.api_key, "--api-secret",
                 served.api_secret, "--test", "schema.models.get.positive", "--report-dir", str(tmp_path)]) == 0
    assert _report(tmp_path)["results"][0]["outcome"] == "passed"


def test_the_whole_suite_against_a_served_reference_fails_nothing(served: ReferenceStack, tmp_path: Path) -> None:
    """`aigw serve`, then the README's `aigw check --base-url ... --token ...`: exit 0, no failure."""
    code = main(["check", "--quiet", "--base-url", served.base_url, "--token", served.token, "--model", "gpt-5",
                 "--examples", "5", "--report-dir", str(tmp_path)])
    report = _report(tmp_path)
    assert code == 0 and report["summary"]["failed"] == 0, [
        r["message"] for r in report["results"] if r["outcome"] == "failed"]
    assert report["summary"]["passed"] > 90


def test_a_catalogue_without_provider_and_capabilities_is_no_catalogue() -> None:
    litellm_like = {"object": "list", "data": [{"id": "gpt-5", "object": "model", "created": 1, "owned_by": "x"}]}
    assert parse_catalogue(litellm_like) is None
    assert parse_catalogue({"data": []}) is None and parse_catalogue(["gpt-5"]) is None
    full = {"data": [{"id": "m", "provider": "openai", "capabilities": ["chat"], "max_input_tokens": 10}]}
    assert parse_catalogue(full) == (CatalogueModel("m", "openai", frozenset({"chat"}), {"max_input_tokens": 10}),)
