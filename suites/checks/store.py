"""Checks of the data store (all inferred): record, list and deletion shapes, paging, 404s, 400s, tenant isolation."""

from __future__ import annotations

from itertools import pairwise
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aigw_conformance.spec.loader import match_operation
from aigw_conformance.suites.checks.registry import check, fail, requires
from aigw_conformance.suites.checks.shapes import json_body, require_schema
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import Severity

COLLECTION, RECORD = "/store/{collection}", "/store/{collection}/{key}"
DEFAULT_LIMIT = 20  # the spec's default for `limit`


def store_operation(exchange: Exchange) -> str | None:
    """`METHOD template` of a store exchange on the AI API (e.g. "GET /store/{collection}"), else None."""
    if exchange.api != "ai" or " /store/" not in exchange.operation:
        return None
    method, _, path = exchange.operation.partition(" ")
    matched = match_operation("ai", method, path)
    return f"{method} {matched[0]}" if matched and matched[0] in (COLLECTION, RECORD) else None


def _succeeded(exchange: Exchange) -> bool:
    return 200 <= exchange.status < 300


def is_store_create_success(exchange: Exchange) -> bool:
    return _succeeded(exchange) and store_operation(exchange) == f"POST {COLLECTION}"


def is_store_record_reply(exchange: Exchange) -> bool:
    """A successful create, read or replace: each answers with the record as stored."""
    return _succeeded(exchange) and store_operation(exchange) in (
        f"POST {COLLECTION}", f"GET {RECORD}", f"PUT {RECORD}")


def is_store_list_reply(exchange: Exchange) -> bool:
    return exchange.status == 200 and store_operation(exchange) == f"GET {COLLECTION}"


def is_store_delete_success(exchange: Exchange) -> bool:
    return _succeeded(exchange) and store_operation(exchange) == f"DELETE {RECORD}"


def _expected(exchange: Exchange) -> dict[str, Any]:
    """What the test knows the record must hold (`context["store_expected"]`: collection, key, value, ...)."""
    expected = exchange.context.get("store_expected")
    return expected if isinstance(expected, dict) else {}


def _echoes(body: dict[str, Any], expected: dict[str, Any], what: str) -> None:
    for name, want in expected.items():
        if name in body and body[name] != want:
            raise fail(f"{what} has {name} {body[name]!r}, expected {want!r} (what was written or asked for)")


def _limit(exchange: Exchange) -> int:
    """The `limit` the request asked for, or the spec's default (an unreadable one counts as the default)."""
    values = parse_qs(urlsplit(exchange.url).query).get("limit", [])
    return int(values[0]) if values and values[0].isdigit() and int(values[0]) > 0 else DEFAULT_LIMIT


@check("store.create_201", severity=Severity.MEDIUM, inferred=True)
@requires(is_store_create_success)
def create_201(exchange: Exchange) -> None:
    """A successful POST /store/{collection} answers 201 Created, the only success the spec gives it."""
    if exchange.status != 201:
        raise fail(f"creating a record was answered {exchange.status}; the spec's createStoreRecord answers "
                   "201 Created with the stored record (REST convention for POST on a collection)")


@check("store.record_shape", severity=Severity.HIGH, inferred=True)
@requires(is_store_record_reply)
def record_shape(exchange: Exchange) -> None:
    """Create, read and replace answer one StoreRecord: collection, key, the value as written, timestamps."""
    body = json_body(exchange)
    require_schema("StoreRecord", body, "the store record")
    if not body["key"]:
        raise fail("the record's key is empty; a key is generated when the create request gives none")
    if body["updated_at"] < body["created_at"]:
        raise fail(f"updated_at {body['updated_at']} is before created_at {body['created_at']}")
    _echoes(body, _expected(exchange), "the record")


@check("store.list_shape", severity=Severity.HIGH, inferred=True)
@requires(is_store_list_reply)
def list_shape(exchange: Exchange) -> None:
    """A listing is one StoreRecordList page: at most `limit` records of that collection, ordered by key."""
    body = json_body(exchange)
    require_schema("StoreRecordList", body, "the store listing")
    keys = [record["key"] for record in body["data"]]
    if any(later <= earlier for earlier, later in pairwise(keys)):
        raise fail(f"the listed keys are not in strictly ascending order (the spec orders a page by key): "
                   f"{keys[:10]}")
    limit = _limit(exchange)
    if len(keys) > limit:
        raise fail(f"the page holds {len(keys)} records, more than the limit of {limit} (`limit`, default "
                   f"{DEFAULT_LIMIT}); paging is ignored")
    collection = _expected(exchange).get("collection")
    strangers = sorted({record["collection"] for record in body["data"]} - {collection}) if collection else []
    if strangers:
        raise fail(f"listing collection {collection!r} returned records of other collections: {strangers[:5]}")


@check("store.deleted_shape", severity=Severity.MEDIUM, inferred=True)
@requires(is_store_delete_success)
def deleted_shape(exchange: Exchange) -> None:
    """A deletion answers 200 with StoreRecordDeleted: the collection, the key, `deleted: true`."""
    if exchange.status != 200 or not exchange.body:
        raise fail(f"a deletion was answered {exchange.status} with {len(exchange.body)} body bytes; the spec's "
                   "deleteStoreRecord answers 200 with {collection, key, deleted: true}")
    body = json_body(exchange)
    require_schema("StoreRecordDeleted", body, "the deletion confirmation")
    expected = _expected(exchange)
    _echoes(body, {name: expected[name] for name in ("collection", "key") if name in expected}, "the confirmation")


@check("store.list_page", severity=Severity.HIGH, auto=False, inferred=True)
def list_page(exchange: Exchange) -> None:
    """A page holds exactly the next `limit` keys after `after`, in key order, and `has_more` says if more follow."""
    page = exchange.context["store_page"]
    keys: list[str] = sorted(page["keys"])
    after, limit = page.get("after"), page.get("limit") or DEFAULT_LIMIT
    if exchange.status != 200:
        raise fail(f"listing a collection was answered {exchange.status}, expected 200")
    body = json_body(exchange)
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise fail(f"the listing has no `data` array: {exchange.excerpt(160)!r}")
    rest = [key for key in keys if after is None or key > after]
    want, more = rest[:limit], len(rest) > limit
    got = [record.get("key") if isinstance(record, dict) else record for record in data]
    asked = f"limit={limit}" + (f", after={after!r}" if after is not None else "")
    if got != want:
        raise fail(f"with {asked} the page lists keys {got[:8]}, expected {want[:8]} (the collection holds "
                   f"{len(keys)} records: a page is the next `limit` keys after `after`, in key order)")
    if body.get("has_more") is not more:
        raise fail(f"with {asked} has_more is {body.get('has_more')!r}, expected {more} ({len(rest)} records "
                   "follow `after`)")


@check("store.not_found_404", severity=Severity.HIGH, auto=False, inferred=True)
def not_found_404(exchange: Exchange) -> None:
    """Reading or deleting a record that does not exist (never written, or deleted) gives 404."""
    if exchange.status != 404:
        why = exchange.context.get("store_missing", "does not exist")
        raise fail(f"a record that {why} was answered {exchange.status}: {exchange.excerpt(120)!r}; the spec's "
                   "StoreNotFound is a 404 with the error contract")


@check("store.rejects_invalid", severity=Severity.HIGH, auto=False, inferred=True)
def rejects_invalid(exchange: Exchange) -> None:
    """An invalid store request (a body that is not a StoreRecordInput, a `limit` out of 1..100) gives 400."""
    if exchange.status != 400:
        why = exchange.context.get("store_invalid", "an invalid request")
        raise fail(f"{why} was answered {exchange.status}, expected 400 with the error contract "
                   f"(001: '400 Bad Request Invalid parameters, validation error'): {exchange.excerpt(120)!r}")


def _records(exchange: Exchange) -> list[dict[str, Any]]:
    body = json_body(exchange)
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise fail(f"the listing has no `data` array: {exchange.excerpt(160)!r}")
    return [record for record in data if isinstance(record, dict)]


def _owner(record: Any) -> Any:
    value = record.get("value") if isinstance(record, dict) else None
    return value.get("owner") if isinstance(value, dict) else None


def _isolation_write(exchange: Exchange, case: dict[str, Any], who: str, after: str) -> None:
    if not _succeeded(exchange):
        leak = (f"; tenant {case['other']} holds that key, so its existence leaks across tenants"
                if case["key"] in case["theirs"] else "")
        raise fail(f"{who}'s {case['action']} of key {case['key']!r} was refused with {exchange.status}{leak}"
                   f"{after}: {exchange.excerpt(120)!r}")


def _isolation_get(exchange: Exchange, case: dict[str, Any], who: str, after: str) -> None:
    key, mine, other = case["key"], case["mine"], case["other"]
    if key in mine:
        if exchange.status == 404:
            raise fail(f"{who}'s own record {key!r} is gone (404){after}")
        body = json_body(exchange) if _succeeded(exchange) else None
        if not isinstance(body, dict):
            raise fail(f"{who}'s read of its own record {key!r} was answered {exchange.status}{after}")
        if _owner(body) == other:
            raise fail(f"{who} read tenant {other}'s record {key!r} instead of its own{after}")
        if body.get("value") != mine[key]:
            raise fail(f"{who}'s record {key!r} holds {body.get('value')!r}, but {who} last wrote "
                       f"{mine[key]!r}{after}")
        return
    if exchange.status != 404:
        whose = f"tenant {other}'s record" if key in case["theirs"] else "a key nobody holds"
        read = " and got it" if _succeeded(exchange) and _owner(json_body(exchange)) == other else ""
        raise fail(f"{who} asked for {whose} {key!r}{read}: answered {exchange.status}, expected 404 (another "
                   f"tenant's record is indistinguishable from a missing one){after}")


def _isolation_delete(exchange: Exchange, case: dict[str, Any], who: str, after: str) -> None:
    key, other = case["key"], case["other"]
    if key in case["mine"]:
        if not _succeeded(exchange):
            raise fail(f"{who}'s delete of its own record {key!r} was answered {exchange.status}{after}")
    elif exchange.status != 404:
        whose = f"which only tenant {other} holds" if key in case["theirs"] else "which nobody holds"
        raise fail(f"{who} deleted key {key!r}, {whose}: answered {exchange.status}, expected 404 and the other "
                   f"tenant's record left alone{after}")


def _isolation_list(exchange: Exchange, case: dict[str, Any], who: str, after: str) -> None:
    if exchange.status != 200:
        raise fail(f"{who}'s listing was answered {exchange.status}{after}")
    records, mine, other = _records(exchange), case["mine"], case["other"]
    foreign = sorted(str(record.get("key")) for record in records if _owner(record) == other)
    if foreign:
        raise fail(f"{who}'s listing shows tenant {other}'s records {foreign[:5]}{after}")
    listed = {record.get("key"): record.get("value") for record in records}
    unknown = sorted(str(key) for key in listed if key not in mine)
    missing = sorted(key for key in mine if key not in listed)
    changed = sorted(key for key in mine if key in listed and listed[key] != mine[key])
    if unknown or missing or changed:
        raise fail(f"{who}'s listing differs from what {who} wrote: unknown keys {unknown[:5]}, missing "
                   f"{missing[:5]}, changed {changed[:5]}{after}")


ISOLATION = {"create": _isolation_write, "put": _isolation_write, "get": _isolation_get,
             "delete": _isolation_delete, "list": _isolation_list}


@check("store.tenant_isolation", severity=Severity.CRITICAL, auto=False, inferred=True)
def tenant_isolation(exchange: Exchange) -> None:
    """No operation of one tenant reads, writes, lists or deletes another tenant's records (001: multi-tenant)."""
    case: dict[str, Any] = exchange.context["isolation"]
    steps: list[str] = case.get("steps", [])
    after = f" (steps so far: {'; '.join(steps)})" if steps else ""
    ISOLATION[case["action"]](exchange, case, f"tenant {case['tenant']}", after)
