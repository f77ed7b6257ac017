"""Conformance tests of the data store (inferred): CRUD, paging, validation, auth, tenant isolation (a property)."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, Phase, Verbosity, example, given, settings
from hypothesis import strategies as st

from aigw_conformance.reports.model import FailureRecord
from aigw_conformance.suites.conformance.registry import TestContext, conformance_test
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import TargetUnreachable
from aigw_conformance.suites.features import Feature

PREFIX = "aigw-conformance"  # every collection the suite writes to starts with it and a per-run random ID
MAX_CLEANUP_PAGES = 5


def run_collection(name: str) -> str:
    """A collection of this run only, so a live target's own data is never touched: `aigw-conformance-<id>-name`."""
    return f"{PREFIX}-{secrets.token_hex(4)}-{name}"


def collection_path(collection: str) -> str:
    return "/store/" + quote(collection, safe="")


def record_path(collection: str, key: str) -> str:
    return f"{collection_path(collection)}/{quote(key, safe='')}"


def scoped_case(prefix: str) -> Callable[[Any], Any]:
    """For fuzzing: put a generated case's collection below `prefix` (a non-empty one; an empty one is the case's
    point). Schemathesis holds path parameters percent-encoded, so the prefix is too."""

    def scope(case: Any) -> Any:
        value = (case.path_parameters or {}).get("collection")
        if isinstance(value, str) and value:
            case.path_parameters["collection"] = quote(prefix, safe="") + value
        return case

    return scope


def body_of(exchange: Exchange) -> dict[str, Any]:
    """The JSON object the exchange answered, or {} (a body that is not one is for the checks to report)."""
    try:
        body = exchange.json
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def written_path(exchange: Exchange) -> str | None:
    """The record path (relative to the API base) a successful POST or PUT on the store wrote, else None."""
    method, _, path = exchange.operation.partition(" ")
    if not (200 <= exchange.status < 300 and path.startswith("/store/")):
        return None
    if method == "PUT":
        return path
    key = body_of(exchange).get("key")
    return f"{path}/{quote(key, safe='')}" if method == "POST" and isinstance(key, str) and key else None


def delete_quietly(t: TestContext, paths: list[str], headers: dict[str, str]) -> None:
    """Delete what a test wrote, outside the checks: clean-up is housekeeping, its answers are not judged."""
    base = t.base_url("ai")
    for path in dict.fromkeys(paths):
        try:
            t.probe.send("ai", base, "DELETE", path, headers=headers, label="clean-up")
        except TargetUnreachable:
            return


def empty_collection(t: TestContext, collection: str, headers: dict[str, str]) -> None:
    """Delete every record the credentials list in `collection` (a few pages at most), outside the checks."""
    base, after = t.base_url("ai"), ""
    for _ in range(MAX_CLEANUP_PAGES):
        query = "?limit=100" + (f"&after={quote(after, safe='')}" if after else "")
        try:
            listing = t.probe.send("ai", base, "GET", collection_path(collection) + query, headers=headers,
                                   label="clean-up")
        except TargetUnreachable:
            return
        body = body_of(listing) if listing.status == 200 else {}
        if not isinstance(body.get("data"), list):
            return
        keys = [r["key"] for r in body["data"] if isinstance(r, dict) and isinstance(r.get("key"), str) and r["key"]]
        delete_quietly(t, [record_path(collection, key) for key in keys], headers)
        if not keys or not body.get("has_more") or keys[-1] == after:
            return
        after = keys[-1]


@contextmanager
def cleaned(t: TestContext, collection: str) -> Iterator[None]:
    """Empty `collection` for the target's credentials when the test ends, however it ends."""
    try:
        yield
    finally:
        empty_collection(t, collection, t.target.auth_headers())


def _succeeded(exchange: Exchange) -> bool:
    return 200 <= exchange.status < 300


@conformance_test("store.crud", features=(Feature.DATA_STORE,))
def crud(t: TestContext) -> None:
    """Create (201), read, replace, delete a record; afterwards reading or deleting it again gives 404."""
    collection = run_collection("crud")
    with cleaned(t, collection):
        value = {"title": "incident 42", "tags": ["xdr", "triage"], "score": 7, "nested": {"ok": True}}
        expected: dict[str, Any] = {"collection": collection, "key": "record-1", "value": value}
        created = t.send("POST", collection_path(collection), json_body={"key": "record-1", "value": value},
                         label="create with a key", expect=["store.create_201"], context={"store_expected": expected})
        if not _succeeded(created):
            return  # store.create_201 failed; nothing else can be tried
        path = record_path(collection, "record-1")
        t.send("GET", path, label="read it back", expect=["http.success"], context={"store_expected": body_of(created)})
        replacement = {"title": "incident 42", "state": "closed"}
        kept = {name: body_of(created)[name] for name in ("created_at",) if name in body_of(created)}
        replaced = t.send("PUT", path, json_body={"value": replacement}, label="replace it", expect=["http.success"],
                          context={"store_expected": {**expected, "value": replacement, **kept}})
        if _succeeded(replaced):
            t.send("GET", path, label="read the replacement", expect=["http.success"],
                   context={"store_expected": body_of(replaced)})
        generated = t.send("POST", collection_path(collection), json_body={"value": {"note": "no key given"}},
                           label="create without a key", expect=["store.create_201"],
                           context={"store_expected": {"collection": collection, "value": {"note": "no key given"}}})
        new_key = body_of(generated).get("key") if _succeeded(generated) else None
        if isinstance(new_key, str) and new_key:
            t.send("GET", record_path(collection, new_key), label="read the generated key", expect=["http.success"],
                   context={"store_expected": body_of(generated)})
        t.send("DELETE", path, label="delete it", expect=["http.success"],
               context={"store_expected": {"collection": collection, "key": "record-1"}})
        t.send("GET", path, label="read after delete", expect=["store.not_found_404"],
               context={"store_missing": "was deleted"})
        t.send("DELETE", path, label="delete again", expect=["store.not_found_404"],
               context={"store_missing": "was already deleted"})
        t.send("GET", record_path(collection, "never-written"), label="never written",
               expect=["store.not_found_404"], context={"store_missing": "was never written"})


@conformance_test("store.paging", features=(Feature.DATA_STORE,))
def paging(t: TestContext) -> None:
    """Listing pages with `limit` and `after` in key order, `has_more` until the last page; empty lists as empty."""
    collection = run_collection("paging")
    listed = {"collection": collection}
    with cleaned(t, collection):
        t.send("GET", collection_path(collection), label="empty collection", expect=["store.list_page"],
               context={"store_page": {"keys": []}, "store_expected": listed})
        keys = [f"key-{index:02d}" for index in range(5)]
        for key in reversed(keys):  # written out of order: a page is in key order
            written = t.send("PUT", record_path(collection, key), json_body={"value": {"name": key}},
                             label=f"write {key}", expect=["http.success"],
                             context={"store_expected": {"collection": collection, "key": key}})
            if not _succeeded(written):
                return
        t.send("GET", collection_path(collection), label="default limit", expect=["store.list_page"],
               context={"store_page": {"keys": keys}, "store_expected": listed})
        after: str | None = None
        for number in range(1, len(keys) + 1):  # at most one page per record, whatever the target answers
            query = "?limit=2" + (f"&after={quote(after, safe='')}" if after else "")
            page = t.send("GET", collection_path(collection) + query, label=f"page {number} of limit=2",
                          expect=["store.list_page"],
                          context={"store_page": {"keys": keys, "after": after, "limit": 2}, "store_expected": listed})
            body = body_of(page) if page.status == 200 else {}
            data = body.get("data")
            if not isinstance(data, list) or not data or not body.get("has_more") or not isinstance(data[-1], dict):
                break
            after = str(data[-1].get("key"))


# (body, what is wrong with it) for POST /store/{collection}; the first three also for PUT /store/{collection}/{key}
INVALID_BODIES: tuple[tuple[Any, str], ...] = (
    ({}, "a body without `value`"),
    ({"value": "text"}, "a string `value` (must be an object)"),
    ({"value": None}, "a null `value`"),
    ({"value": [1, 2]}, "an array `value`"),
    ({"key": "", "value": {}}, "an empty `key`"),
    ({"key": 7, "value": {}}, "a numeric `key`"),
)
INVALID_LIMITS = ("0", "101", "ten")


@conformance_test("store.validation", features=(Feature.DATA_STORE,))
def validation(t: TestContext) -> None:
    """Bodies that are not a StoreRecordInput, malformed JSON and `limit` outside 1..100 give 400 and the contract."""
    collection = run_collection("invalid")
    with cleaned(t, collection):
        for body, what in INVALID_BODIES:
            t.send("POST", collection_path(collection), json_body=body, label=f"create with {what}",
                   expect=["store.rejects_invalid"], context={"store_invalid": f"a create with {what}"})
        for body, what in INVALID_BODIES[:3]:
            t.send("PUT", record_path(collection, "k"), json_body=body, label=f"put with {what}",
                   expect=["store.rejects_invalid"], context={"store_invalid": f"a put with {what}"})
        t.send("POST", collection_path(collection), content=b'{"value": {', label="malformed JSON",
               headers={"content-type": "application/json"}, expect=["store.rejects_invalid"],
               context={"store_invalid": "malformed JSON"})
        for limit in INVALID_LIMITS:
            t.send("GET", f"{collection_path(collection)}?limit={limit}", label=f"limit={limit}",
                   expect=["store.rejects_invalid"], context={"store_invalid": f"a listing with limit={limit}"})


@conformance_test("store.unauthenticated", features=(Feature.DATA_STORE,))
def unauthenticated(t: TestContext) -> None:
    """Every store operation refuses a request without credentials with 401 and the error contract."""
    collection = run_collection("auth")
    listing, record = collection_path(collection), record_path(collection, "k")
    with cleaned(t, collection):
        for method, path, body in (("GET", listing, None), ("POST", listing, {"value": {}}), ("GET", record, None),
                                   ("PUT", record, {"value": {}}), ("DELETE", record, None)):
            t.send(method, path, json_body=body, authenticated=False, label="no credentials",
                   expect=["auth.missing_credentials_401"])


# --- tenant isolation: a hypothesis property over random operations of two tenants -----------------------------

TENANTS = ("A", "B")
KEYS = ("k1", "k2", "k3")  # few, so the tenants' keys collide
Step = tuple[str, str, str | None]  # (action, tenant, key)
STEPS = st.one_of(
    st.tuples(st.just("create"), st.sampled_from(TENANTS), st.none() | st.sampled_from(KEYS)),
    st.tuples(st.sampled_from(("put", "get", "delete")), st.sampled_from(TENANTS), st.sampled_from(KEYS)),
    st.tuples(st.just("list"), st.sampled_from(TENANTS), st.none()),
)
SEQUENCES = st.lists(STEPS, min_size=2, max_size=8)
NAMES = st.text(alphabet=string.ascii_lowercase + string.digits + "-_.~", min_size=1, max_size=8)
# Tried first, whatever the number of examples: the plain ways a store leaks across tenants.
CROSS_READ: list[Step] = [("put", "A", "k1"), ("get", "B", "k1"), ("list", "B", None), ("delete", "B", "k1"),
                          ("get", "A", "k1"), ("list", "A", None)]
SAME_KEY: list[Step] = [("put", "A", "k1"), ("create", "B", "k1"), ("get", "B", "k1"), ("get", "A", "k1"),
                        ("list", "A", None), ("list", "B", None), ("delete", "A", "k1"), ("get", "B", "k1")]


@dataclass
class Isolation:
    """Replays step sequences against the target, each on a fresh collection, with a model of each tenant's records."""

    t: TestContext
    headers: dict[str, dict[str, str]]
    prefix: str
    sequences: int = 0
    unreachable: list[TargetUnreachable] = field(default_factory=list)

    def replay(self, steps: list[Step], name: str) -> None:
        if self.unreachable:  # the target already failed at the transport level: do not wait on it again
            return
        self.sequences += 1
        collection = f"{self.prefix}-{self.sequences}-{name}"
        model: dict[str, dict[str, Any]] = {tenant: {} for tenant in TENANTS}
        history: list[str] = []
        intact = False
        try:
            intact = all(self._step(collection, model, history, index, step) for index, step in enumerate(steps))
        except TargetUnreachable as error:
            self.unreachable.append(error)
        finally:
            for tenant in TENANTS:
                delete_quietly(self.t, [record_path(collection, key) for key in model[tenant]], self.headers[tenant])
                if not intact:
                    empty_collection(self.t, collection, self.headers[tenant])

    def _step(self, collection: str, model: dict[str, dict[str, Any]], history: list[str], index: int,
              step: Step) -> bool:
        """Send one step; False when it broke isolation (the model no longer says what the target holds)."""
        action, tenant, key = step
        other = "B" if tenant == "A" else "A"
        mine = model[tenant]
        if action == "create" and key is not None and key in mine:
            return True  # a duplicate create is not a question of isolation (the spec is silent on it)
        value = {"owner": tenant, "n": index}
        method, path, body = {
            "create": ("POST", collection_path(collection), {"value": value, **({"key": key} if key else {})}),
            "put": ("PUT", record_path(collection, str(key)), {"value": value}),
            "get": ("GET", record_path(collection, str(key)), None),
            "delete": ("DELETE", record_path(collection, str(key)), None),
            "list": ("GET", collection_path(collection) + "?limit=100", None),
        }[action]
        what = f"{tenant} {action}" + (f" {key}" if key else "")
        case = {"action": action, "tenant": tenant, "other": other, "key": key, "mine": dict(mine),
                "theirs": dict(model[other]), "steps": list(history)}
        expected: dict[str, Any] = {"collection": collection}
        if action in ("create", "put"):
            expected |= {"value": value, **({"key": key} if key else {})}
        first = len(self.t.failures)
        exchange = self.t.send(method, path, json_body=body, headers=self.headers[tenant], authenticated=False,
                               label=f"tenant {what}", expect=["store.tenant_isolation"],
                               context={"isolation": case, "store_expected": expected})
        history.append(f"{what} → {exchange.status}")
        if any(failure.check == "store.tenant_isolation" for failure in self.t.failures[first:]):
            return False
        if action in ("create", "put"):
            written = key or body_of(exchange).get("key")
            if isinstance(written, str) and written:
                mine[written] = value
        elif action == "delete":
            mine.pop(str(key), None)
        return True


def collapse(t: TestContext, first_new: int, runs: int, what: str) -> None:
    """One failure per check, with how many of the `runs` tripped it, instead of one per exchange."""
    fresh = t.failures[first_new:]
    del t.failures[first_new:]
    grouped: dict[tuple[str, str], list[FailureRecord]] = {}
    for failure in fresh:
        grouped.setdefault((failure.check, failure.grounds), []).append(failure)  # the grounds' kinds stay apart
    for failures in grouped.values():
        first = failures[0]
        t.failures.append(replace(first, message=f"{len(failures)} failures in {runs} {what}; first: {first.message}"))


@conformance_test("store.tenant_isolation", features=(Feature.DATA_STORE,))
def tenant_isolation(t: TestContext) -> None:
    """Property: in random create/put/get/list/delete sequences of two tenants, neither touches the other's records."""
    second = t.target.second_tenant_headers()
    if not second:
        raise t.skip("the target gives no second tenant's credentials ([auth.second_tenant] token, or api_key and "
                     "api_secret): tenant isolation needs two tenants")
    first = t.target.auth_headers()
    if second == first:
        raise t.skip("[auth.second_tenant] repeats the first tenant's credentials; give another tenant's")
    isolation = Isolation(t, {"A": first, "B": second}, run_collection("tenants"))
    first_new = len(t.failures)

    @settings(max_examples=max(1, t.target.examples), deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
              verbosity=Verbosity.quiet)
    @given(steps=SEQUENCES, name=NAMES)
    @example(steps=CROSS_READ, name="cross-read")
    @example(steps=SAME_KEY, name="same-key")
    def explore(steps: list[Step], name: str) -> None:
        isolation.replay(steps, name)

    explore()
    collapse(t, first_new, isolation.sequences, "operation sequences of two tenants")
    if isolation.unreachable:
        raise isolation.unreachable[0]
