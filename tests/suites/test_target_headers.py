"""Extra headers and `${VAR}` in target files: parsing, precedence, and the exit code 2 for what cannot be used."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigw_conformance.cli import main
from aigw_conformance.suites.envexpand import MissingVariable, expand
from aigw_conformance.suites.exchange import Probe
from aigw_conformance.suites.headers import HeaderError, header_table, parse_header_lines
from aigw_conformance.suites.target import TargetError, load_target


def test_header_lines_parse_and_a_later_one_replaces_an_earlier_in_any_case() -> None:
    parsed = parse_header_lines(["X-Route: blue", "x-portkey-provider:openai", "x-route:  green "])
    assert parsed == {"x-portkey-provider": "openai", "x-route": "green"}


@pytest.mark.parametrize(("line", "says"), [
    ("x-route blue", "expected 'Name: value'"),
    ("bad name: v", "not a valid header name"),
    ("Authorization: Bearer t", "set by aigw itself"),
    ("api-key: k", "set by aigw itself"),
    ("x-route: a\rb", "line break"),
])
def test_unusable_header_lines_are_refused(line: str, says: str) -> None:
    with pytest.raises(HeaderError, match=says):
        parse_header_lines([line])


def test_the_headers_table_takes_strings_only() -> None:
    assert header_table({"x-route": "blue"}, "t.toml") == {"x-route": "blue"}
    with pytest.raises(HeaderError, match=r"\[headers\] x-route must be a string"):
        header_table({"x-route": 7}, "t.toml")


def test_flag_headers_override_the_files_in_any_case(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text('[headers]\nX-Route = "blue"\nx-tenant = "acme"\n')
    target = load_target(path).with_overrides(headers={"x-route": "green"})
    assert target.headers == {"x-tenant": "acme", "x-route": "green"}


def test_the_probe_sends_extra_headers_under_each_requests_own() -> None:
    probe = Probe(extra_headers={"x-route": "blue", "x-tenant": "acme"})
    try:
        assert probe.with_extra({"X-Tenant": "other"}) == {"X-Tenant": "other", "x-route": "blue"}
        assert probe.with_extra({}) == {"x-route": "blue", "x-tenant": "acme"}
    finally:
        probe.close()


def test_variables_expand_in_every_string_and_a_doubled_dollar_keeps_a_literal() -> None:
    data = {"auth": {"token": "${T}"}, "models": {"chat": ["${M}-mini", "$${M}"]}, "fuzz": {"examples": 3}}
    assert expand(data, {"T": "tok", "M": "gpt-5"}) == {
        "auth": {"token": "tok"}, "models": {"chat": ["gpt-5-mini", "${M}"]}, "fuzz": {"examples": 3}}
    with pytest.raises(MissingVariable, match=r"auth\.token: environment variable NOPE is not set"):
        expand({"auth": {"token": "${NOPE}"}}, {})


def test_a_missing_variable_exits_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIGW_TEST_UNSET_TOKEN", raising=False)
    path = tmp_path / "t.toml"
    path.write_text('[api]\nbase_url = "http://127.0.0.1:9/v1"\n[auth]\ntoken = "${AIGW_TEST_UNSET_TOKEN}"\n')
    with pytest.raises(TargetError, match="AIGW_TEST_UNSET_TOKEN"):
        load_target(path)
    assert main(["check", "--quiet", "--target", str(path), "--report-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "environment variable AIGW_TEST_UNSET_TOKEN is not set" in err and "Traceback" not in err


def test_a_bad_header_flag_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--quiet", "--header", "no-colon", "--report-dir", str(tmp_path)]) == 2
    assert "expected 'Name: value'" in capsys.readouterr().err
    assert main(["load", "chat", "--header", "Authorization: Bearer x", "--report-dir", str(tmp_path)]) == 2
