"""`--test` and `--profile` patterns: prefixes, globs and `!` exclusions, through the runner's `select`."""

from __future__ import annotations

import pytest

from aigw_conformance.suites.conformance import TESTS
from aigw_conformance.suites.conformance.fuzz_deep import DEEP_TEST_ID
from aigw_conformance.suites.runner import deep_selected, select
from aigw_conformance.suites.selection import Patterns

ALL = [test.id for test in TESTS.values()]


def _ids(tests: list[str] = [], profiles: list[str] = []) -> list[str]:  # noqa: B006 - never mutated
    return [test.id for test in select(TESTS.values(), tests, profiles)]


def test_a_glob_with_an_exclusion_selects_exactly_the_matching_tests() -> None:
    chosen = _ids(["chat.*", "!chat.n*"])
    assert chosen == [i for i in ALL if i.startswith("chat.") and not i.startswith("chat.n")]
    assert chosen and any(i.startswith("chat.n") for i in ALL)  # the exclusion removed something real


def test_a_plain_pattern_is_still_a_prefix_and_exclusions_alone_keep_the_rest() -> None:
    assert _ids(["stream."]) == [i for i in ALL if i.startswith("stream.")]
    assert _ids(["!stream.*"]) == [i for i in ALL if not i.startswith("stream.")]
    assert _ids(["stream.,models."]) == [i for i in ALL if i.startswith(("stream.", "models."))]


def test_profiles_take_exact_names_globs_and_exclusions() -> None:
    profiles = {test.id: test.profile.name for test in TESTS.values()}
    assert _ids(profiles=["ai-core"]) == [i for i in ALL if profiles[i] == "ai-core"]
    assert _ids(profiles=["ai"]) == []  # a profile name is never a prefix
    assert _ids(profiles=["ai-*", "!ai-schema"]) == [
        i for i in ALL if profiles[i].startswith("ai-") and profiles[i] != "ai-schema"]


@pytest.mark.parametrize(("tests", "profiles"), [(["nothing"], []), ([], ["nope"]), (["chat.*", "!chat*"], [])])
def test_selections_that_match_nothing_are_empty(tests: list[str], profiles: list[str]) -> None:
    assert _ids(tests, profiles) == []


def test_the_deep_test_follows_the_same_patterns() -> None:
    assert deep_selected([], [])
    assert deep_selected(["schema.*"], [])
    assert not deep_selected(["!schema.deep"], [])
    assert not deep_selected([], ["!ai-schema"])
    assert DEEP_TEST_ID == "schema.deep"


def test_a_lone_bang_or_empty_parts_select_as_if_not_given() -> None:
    assert Patterns.parse(["!", "", " , "]) == Patterns()
