"""The target file's schema: wrong types and unknown keys are refused naming the file, the key and what fits."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigw_conformance.suites.target import REFERENCE_TARGET, TargetError, load_target
from aigw_conformance.suites.target_schema import STRING, TARGET_SCHEMA, Table, problems

EXAMPLE = REFERENCE_TARGET.with_name("example.toml")


@pytest.mark.parametrize(("text", "expected"), [
    ("[api]\nbase_url = 12\n", "[api] base_url must be an http(s) URL string"),
    ('[timeouts]\nrequest_s = "fast"\n', "[timeouts] request_s must be a positive number (seconds), got string 'fast'"),
    ("[timeouts]\nrequest_s = 0\n", "[timeouts] request_s must be a positive number"),
    ("[auth]\ntokn = \"t\"\n", "unknown key 'tokn' in [auth]; did you mean 'token'?"),
    ("tokn = \"t\"\n", "unknown key 'tokn' in the top level; did you mean [client] token or [auth] token?"),
    ("[client]\nrate_limit = \"3\"\n", "[client] rate_limit must be a positive integer, got string '3'"),
    ("[models]\nchat = 5\n", "[models] chat must be a model ID or a list of them"),
    ("[fuzz]\nexamples = 2.5\n", "[fuzz] examples must be a positive integer, got number 2.5"),
    ("[fuzz.deep]\nbudgt_s = 9\n", "unknown key 'budgt_s' in [fuzz.deep]; did you mean 'budget_s'?"),
    ("api = 3\n", "[api] must be a table, got integer 3"),
    ("[features]\nsupported = \"*\"\n", "[features] supported must be a list of strings"),
    ("[features.exempt]\nmodels = 1\n", "[features.exempt] models must be a string"),
    ("[upstream]\nopenai = \"ftp://x\"\n", "[upstream] openai must be an http(s) URL"),
])
def test_a_bad_key_names_the_file_the_key_and_the_expected_type(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(TargetError) as caught:
        load_target(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert expected in str(caught.value)


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[api]\nbase_url = 12\n[timeouts]\nrequest_s = "fast"\n')
    with pytest.raises(TargetError, match=r"2 problems:\n  - \[api\] base_url .*\n  - \[timeouts\] request_s"):
        load_target(path)


def test_the_bundled_target_files_fit_the_schema() -> None:
    for path in (REFERENCE_TARGET, EXAMPLE):
        load_target(path)


def test_a_new_key_is_one_entry_in_the_table() -> None:
    data = {"labels": {"team": "a"}, "name": "gw"}
    assert len(problems(data)) == 1 and problems(data)[0].startswith("unknown key 'labels' in the top level")
    extended = {**TARGET_SCHEMA, "labels": Table(STRING, "a table of label = value")}
    assert problems(data, extended) == []
    assert problems({"labels": {"team": 1}}, extended) == ["[labels] team must be a string, got integer 1"]
