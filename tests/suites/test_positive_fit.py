"""Positive generated chat cases are fitted to the model they name (suites/conformance/positive_fit.py)."""

from __future__ import annotations

from aigw_conformance.suites.conformance.positive_fit import ModelFit, fit

AUDIO = {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}
TEXT = {"type": "text", "text": "hi"}


def test_token_caps_stay_within_the_model_limit() -> None:
    body = fit({"max_completion_tokens": 500_000, "max_tokens": 10, "messages": []}, ModelFit(64_000))
    assert body == {"max_completion_tokens": 64_000, "max_tokens": 10, "messages": []}
    assert fit({"max_tokens": 500_000}, ModelFit()) == {"max_tokens": 500_000}  # no known limit: unchanged


def test_audio_parts_are_left_out_only_for_a_model_without_audio_input() -> None:
    body = {"messages": [{"role": "user", "content": [TEXT, AUDIO]}, {"role": "user", "content": "x"}]}
    assert fit(dict(body), ModelFit(audio_input=True)) == body
    assert fit(dict(body), ModelFit(audio_input=False))["messages"] == [{"role": "user", "content": [TEXT]},
                                                                       {"role": "user", "content": "x"}]
    assert fit(["not", "a", "dict"], ModelFit(1)) == ["not", "a", "dict"]
