"""The store and voices checks on made-up exchanges, the second tenant's keys, the store tests on the reference."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from aigw_conformance.mocks.reference import ReferenceStack
from aigw_conformance.suites.checks import CHECKS
from aigw_conformance.suites.conformance.store_tests import scoped_case, written_path
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import CheckFailed
from aigw_conformance.suites.runner import run
from aigw_conformance.suites.selftest import pointed_at
from aigw_conformance.suites.target import REFERENCE_TARGET, TargetError, load_target


def exchange(method: str, path: str, status: int, body: Any = None, *, query: str = "",
             **context: Any) -> Exchange:
    raw = b"" if body is None else httpx.Response(200, json=body).content
    return Exchange(api="ai", operation=f"{method} {path}", method=method, url=f"http://gw/api/ai/v1{path}{query}",
                    request_headers={}, request_json=None, status=status,
                    headers=httpx.Headers({"content-type": "application/json"}), body=raw, elapsed_s=0.0,
                    context=context)


def verdict(name: str, sent: Exchange) -> str | None:
    """None when check `name` passes on `sent`, else its message; an auto check must also admit the exchange."""
    chosen = CHECKS[name]
    assert not chosen.auto or chosen.applies_to(sent), f"{name} does not apply to {sent.describe()}"
    try:
        chosen.function(sent)
    except CheckFailed as failure:
        return failure.message
    return None


def record(key: str = "k", value: Any = None, collection: str = "c") -> dict[str, Any]:
    return {"collection": collection, "key": key, "value": {"n": 1} if value is None else value,
            "created_at": 1_700_000_000, "updated_at": 1_700_000_000}


def page(*records: dict[str, Any], more: bool = False) -> dict[str, Any]:
    return {"object": "list", "data": list(records), "has_more": more}


def test_every_store_and_voices_check_is_inferred() -> None:
    mine = [check for name, check in CHECKS.items() if name.startswith(("store.", "voices."))]
    assert len(mine) == 9 and all(check.inferred for check in mine)


def test_create_answers_201() -> None:
    assert verdict("store.create_201", exchange("POST", "/store/c", 201, record())) is None
    assert "200" in str(verdict("store.create_201", exchange("POST", "/store/c", 200, record())))
    assert not CHECKS["store.create_201"].applies_to(exchange("POST", "/store/c", 400, {}))
    assert not CHECKS["store.create_201"].applies_to(exchange("POST", "/chat/completions", 200, {}))


def test_record_shape_and_echo() -> None:
    good = exchange("PUT", "/store/c/k", 200, record(), store_expected={"collection": "c", "value": {"n": 1}})
    assert verdict("store.record_shape", good) is None
    as_text = exchange("GET", "/store/c/k", 200, record(value='{"n": 1}'))
    assert "not of type 'object'" in str(verdict("store.record_shape", as_text))
    other = exchange("POST", "/store/c", 201, record(value={"n": 2}), store_expected={"value": {"n": 1}})
    assert "value {'n': 2}, expected {'n': 1}" in str(verdict("store.record_shape", other))


def test_list_shape_order_and_limit() -> None:
    assert verdict("store.list_shape", exchange("GET", "/store/c", 200, page(record("a"), record("b")))) is None
    unordered = exchange("GET", "/store/c", 200, page(record("b"), record("a")))
    assert "ascending" in str(verdict("store.list_shape", unordered))
    over = exchange("GET", "/store/c", 200, page(record("a"), record("b")), query="?limit=1")
    assert "more than the limit of 1" in str(verdict("store.list_shape", over))


def test_deleted_shape_wants_the_deletion_object() -> None:
    body = {"collection": "c", "key": "k", "deleted": True}
    assert verdict("store.deleted_shape", exchange("DELETE", "/store/c/k", 200, body)) is None
    assert "204" in str(verdict("store.deleted_shape", exchange("DELETE", "/store/c/k", 204)))


@pytest.mark.parametrize("after, limit, keys, more, problem", [
    (None, 2, ["a", "b"], True, None),
    ("b", 2, ["c"], False, None),
    ("a", 2, ["a", "b"], True, "expected ['b', 'c']"),
    (None, 2, ["a", "b"], False, "has_more is False, expected True"),
    (None, 2, ["a", "b", "c"], False, "expected ['a', 'b']"),
])
def test_list_page(after: str | None, limit: int, keys: list[str], more: bool, problem: str | None) -> None:
    sent = exchange("GET", "/store/c", 200, page(*(record(key) for key in keys), more=more),
                    store_page={"keys": ["c", "a", "b"], "after": after, "limit": limit})
    message = verdict("store.list_page", sent)
    assert message is None if problem is None else problem in str(message)


def isolation(action: str, status: int, body: Any = None, *, key: str | None = "k1", mine: Any = None,
              theirs: Any = None) -> str | None:
    case = {"action": action, "tenant": "B", "other": "A", "key": key, "mine": mine or {}, "theirs": theirs or {},
            "steps": ["A put k1 → 200"]}
    return verdict("store.tenant_isolation", exchange("GET", "/store/c/k1", status, body, isolation=case))


def test_isolation_reads() -> None:
    a_record = record("k1", {"owner": "A", "n": 0})
    assert isolation("get", 404, theirs={"k1": {"owner": "A", "n": 0}}) is None
    assert "tenant B asked for tenant A's record 'k1' and got it" in str(
        isolation("get", 200, a_record, theirs={"k1": {"owner": "A", "n": 0}}))
    assert "tenant B read tenant A's record 'k1' instead of its own" in str(
        isolation("get", 200, a_record, mine={"k1": {"owner": "B", "n": 1}}))
    assert "own record 'k1' is gone" in str(isolation("get", 404, mine={"k1": {"owner": "B", "n": 1}}))
    assert "steps so far: A put k1 → 200" in str(isolation("get", 403, theirs={"k1": {}}))


def test_isolation_writes_deletes_and_listings() -> None:
    assert "existence leaks" in str(isolation("create", 400, theirs={"k1": {}}))
    assert isolation("put", 200, record("k1", {"owner": "B", "n": 0})) is None
    assert "which only tenant A holds" in str(isolation("delete", 200, {}, theirs={"k1": {}}))
    assert isolation("delete", 404, theirs={"k1": {}}) is None
    leaked = page(record("k1", {"owner": "A", "n": 0}), record("k2", {"owner": "B", "n": 1}))
    assert "shows tenant A's records ['k1']" in str(isolation("list", 200, leaked, key=None,
                                                               mine={"k2": {"owner": "B", "n": 1}}))
    lost = page(record("k2", {"owner": "B", "n": 1}))
    assert "missing ['k1']" in str(isolation("list", 200, lost, key=None, mine={
        "k1": {"owner": "B", "n": 0}, "k2": {"owner": "B", "n": 1}}))


def test_voices_list_shape() -> None:
    voices = {"object": "list", "data": [{"id": "alloy"}, {"id": "echo", "name": "Echo"}]}
    assert verdict("voices.list_shape", exchange("GET", "/audio/voices", 200, voices)) is None
    twice = exchange("GET", "/audio/voices", 200, {"object": "list", "data": [{"id": "alloy"}, {"id": "alloy"}]})
    assert "more than once: ['alloy']" in str(verdict("voices.list_shape", twice))
    empty = {"object": "list", "data": []}
    assert "empty" in str(verdict("voices.list_shape", exchange("GET", "/audio/voices", 200, empty)))


class Case:
    def __init__(self, collection: str) -> None:
        self.path_parameters = {"collection": collection, "key": "k"}


def test_fuzzed_collections_are_scoped_and_writes_remembered() -> None:
    scope = scoped_case("aigw-conformance-1234-fuzz-")
    assert scope(Case("%C3%A9")).path_parameters["collection"] == "aigw-conformance-1234-fuzz-%C3%A9"
    assert scope(Case("")).path_parameters["collection"] == ""  # an empty name is what a negative case tests
    assert written_path(exchange("PUT", "/store/c/k%2F1", 200, record())) == "/store/c/k%2F1"
    assert written_path(exchange("POST", "/store/c", 201, record("a/b"))) == "/store/c/a%2Fb"
    assert written_path(exchange("POST", "/store/c", 400, {})) is None
    assert written_path(exchange("GET", "/store/c/k", 200, record())) is None


def test_the_second_tenant_comes_from_the_target_file(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text('[auth]\ntoken = "one"\n[auth.second_tenant]\napi_key = "k2"\napi_secret = "s2"\n')
    assert load_target(path).second_tenant_headers() == {"api-key": "k2", "api-secret": "s2"}
    path.write_text('[auth.second_tenant]\ntoken = "two"\n')
    assert load_target(path).second_tenant_headers() == {"authorization": "Bearer two"}
    path.write_text('[auth]\nsecond_tenant = "two"\n')
    with pytest.raises(TargetError, match="second_tenant"):
        load_target(path)
    reference = load_target(REFERENCE_TARGET)
    assert reference.second_tenant_headers() == {}
    assert pointed_at(reference, ReferenceStack()).second_tenant_headers() == {"authorization": "Bearer dev-token-2"}
    given = reference.with_overrides(second_api_key="k", second_api_secret="s")
    assert pointed_at(given, ReferenceStack()).second_tenant_headers() == {"api-key": "k", "api-secret": "s"}


def test_isolation_is_skipped_without_a_second_tenant() -> None:
    with ReferenceStack() as stack:
        target = pointed_at(load_target(REFERENCE_TARGET), stack).with_overrides(examples=1)
        alone = run(target.with_overrides(second_token=""), only=["store.tenant_isolation"]).results[0]
        same = run(target.with_overrides(second_token=stack.token), only=["store.tenant_isolation"]).results[0]
    assert alone.outcome == same.outcome == "skipped"
    assert "[auth.second_tenant]" in alone.message and "repeats the first tenant's" in same.message


@pytest.mark.parametrize("defect", [None, "store-get-any-tenant"])
def test_the_isolation_property_against_the_reference(defect: str | None) -> None:
    with ReferenceStack(defects=[defect] if defect else []) as stack:
        target = pointed_at(load_target(REFERENCE_TARGET), stack).with_overrides(examples=3)
        result = run(target, only=["store.tenant_isolation"]).results[0]
    if defect is None:
        assert result.outcome == "passed", result.message
    else:
        assert result.outcome == "failed" and {f.check for f in result.failures} == {"store.tenant_isolation"}
        assert "tenant B asked for tenant A's record 'k1' and got it" in result.message


def test_the_store_tests_leave_nothing_behind(tmp_path: Path) -> None:
    database = tmp_path / "store.db"
    with ReferenceStack(store_url=str(database)) as stack:
        target = pointed_at(load_target(REFERENCE_TARGET), stack).with_overrides(examples=3)
        report = run(target, only=["store.", "schema.store."])
    assert len(report.results) == 15 and {result.outcome for result in report.results} == {"passed"}
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT tenant, collection, key FROM records").fetchall() == []
