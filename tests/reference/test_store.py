"""The data store of the reference gateway: CRUD per the spec, paging, validation, persistence, tenant isolation."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.routing import Match
from starlette.testclient import TestClient

from aigw_conformance.mocks.reference import GatewaySettings, ReferenceStack, create_app
from aigw_conformance.mocks.reference.defects import DATA_DEFECTS
from aigw_conformance.mocks.reference.store.backend import database_path
from aigw_conformance.mocks.reference.store.routes import StoreEndpoints
from aigw_conformance.spec.loader import component_validator

ErrorCheck = Callable[..., dict[str, Any]]
# Two credentials per tenant (the defaults of GatewaySettings): a bearer token and an api-key pair.
A = {"authorization": "Bearer dev-token"}
A_KEY = {"api-key": "dev-key", "api-secret": "dev-secret"}
B = {"authorization": "Bearer dev-token-2"}
B_KEY = {"api-key": "dev-key-2", "api-secret": "dev-secret-2"}
CREDENTIALS = {"a": (A, A_KEY), "b": (B, B_KEY)}


@contextmanager
def gateway(**overrides: Any) -> Iterator[TestClient]:
    """An in-process gateway (lifespan run) whose client's paths are relative to /api/ai/v1."""
    with TestClient(create_app(GatewaySettings(**overrides)), base_url="http://gw/api/ai/v1") as client:
        yield client


@pytest.fixture(scope="module")
def gw() -> Iterator[TestClient]:
    with gateway() as client:
        yield client


@pytest.fixture
def coll() -> str:
    """A collection no other test uses."""
    return "c-" + uuid.uuid4().hex[:12]


def valid(schema: str, body: Any) -> Any:
    assert [error.message for error in component_validator(schema).iter_errors(body)] == [], body
    return body


def test_create_get_put_delete(gw: TestClient, coll: str, check_error: ErrorCheck) -> None:
    created = gw.post(f"/store/{coll}", json={"key": "k1", "value": {"n": 1, "tags": ["x"]}}, headers=A)
    assert created.status_code == 201, created.text
    record = valid("StoreRecord", created.json())
    assert (record["collection"], record["key"], record["value"]) == (coll, "k1", {"n": 1, "tags": ["x"]})
    assert record["created_at"] == record["updated_at"] > 1_700_000_000
    assert gw.get(f"/store/{coll}/k1", headers=A_KEY).json() == record  # same tenant through the key pair
    replaced = gw.put(f"/store/{coll}/k1", json={"key": "ignored", "value": {"n": 2}}, headers=A)
    assert replaced.status_code == 200
    assert valid("StoreRecord", replaced.json())["value"] == {"n": 2}
    assert (replaced.json()["key"], replaced.json()["created_at"]) == ("k1", record["created_at"])
    deleted = gw.delete(f"/store/{coll}/k1", headers=A)
    assert valid("StoreRecordDeleted", deleted.json()) == {"collection": coll, "key": "k1", "deleted": True}
    check_error(gw.get(f"/store/{coll}/k1", headers=A), 404, param="key", code="record_not_found")
    check_error(gw.delete(f"/store/{coll}/k1", headers=A), 404, param="key", code="record_not_found")


def test_put_creates_and_keys_may_hold_slashes(gw: TestClient, coll: str) -> None:
    assert gw.put(f"/store/{coll}/a%2Fb c", json={"value": {}}, headers=A).status_code == 200
    assert gw.get(f"/store/{coll}/a/b c", headers=A).json()["key"] == "a/b c"
    created = gw.post(f"/store/{coll}", json={"key": "x/ü", "value": {}}, headers=A)
    assert gw.get(f"/store/{coll}/x/%C3%BC", headers=A).json() == created.json()


def test_names_may_hold_any_character(gw: TestClient, coll: str) -> None:
    url = f"/store/{coll}%2Fa%0Ab%23/k%0A%3F%2F%20"  # collection `<coll>/a\nb#`, key `k\n?/ `
    assert gw.put(url, json={"value": {"odd": True}}, headers=A).status_code == 200
    record = gw.get(url, headers=A).json()
    assert (record["collection"], record["key"]) == (f"{coll}/a\nb#", "k\n?/ ")
    assert [r["key"] for r in gw.get(f"/store/{coll}%2Fa%0Ab%23", headers=A).json()["data"]] == ["k\n?/ "]
    assert gw.get(f"/store/{coll}", headers=A).json()["data"] == []


@pytest.mark.parametrize("path, raw, params", [
    ("/b/store/c", b"/b/store/c", {"collection": "c"}),
    ("/b/store/a/b/c", b"/b/store/a%2Fb/c", {"collection": "a/b", "key": "c"}),
    ("/b/store/a/b/c", None, {"collection": "a", "key": "b/c"}),  # no raw path: a slash always separates
    ("/b/store/c/", b"/b/store/c/", None), ("/b/store/", None, None), ("/b/stored", None, None),
])
def test_store_route_matching(path: str, raw: bytes | None, params: dict[str, str] | None) -> None:
    route = StoreEndpoints(GatewaySettings()).route("/b", lambda endpoint: endpoint)
    scope = {"type": "http", "path": path, **({"raw_path": raw} if raw else {})}
    match, child = route.matches(scope)
    assert (child.get("path_params") if match is Match.FULL else None) == params


@pytest.mark.parametrize("method, url, status", [
    ("GET", "/store/", 404), ("GET", "/store/c/", 404), ("PUT", "/store/c", 405), ("PATCH", "/store/c/k", 405),
    ("DELETE", "/store/c", 405), ("POST", "/store/c/k", 405),
])
def test_other_paths_and_methods(gw: TestClient, method: str, url: str, status: int, check_error: ErrorCheck) -> None:
    reply = gw.request(method, url, json={"value": {}}, headers=A)
    check_error(reply, status)
    if status == 405:
        assert reply.headers["allow"] in ("GET, POST", "GET, PUT, DELETE")


def test_generated_keys_are_unique_and_sort_by_creation(gw: TestClient, coll: str) -> None:
    keys = [gw.post(f"/store/{coll}", json={"value": {"i": i}}, headers=A).json()["key"] for i in range(5)]
    assert keys == sorted(keys) and len(set(keys)) == 5 and all(key.startswith("rec_") for key in keys)
    listed = gw.get(f"/store/{coll}", headers=A).json()["data"]
    assert [record["value"]["i"] for record in listed] == list(range(5))


def test_duplicate_create_is_a_400_for_the_same_tenant_only(gw: TestClient, coll: str, check_error: ErrorCheck) -> None:
    assert gw.post(f"/store/{coll}", json={"key": "k", "value": {"v": "a"}}, headers=A).status_code == 201
    check_error(gw.post(f"/store/{coll}", json={"key": "k", "value": {}}, headers=A), 400, param="key",
                code="duplicate_key")
    assert gw.post(f"/store/{coll}", json={"key": "k", "value": {"v": "b"}}, headers=B).status_code == 201
    assert gw.get(f"/store/{coll}/k", headers=A).json()["value"] == {"v": "a"}


def test_paging_with_limit_and_after(gw: TestClient, coll: str) -> None:
    keys = [f"k{i:02d}" for i in range(25)]
    for key in reversed(keys):
        gw.put(f"/store/{coll}/{key}", json={"value": {"k": key}}, headers=A)
    first = valid("StoreRecordList", gw.get(f"/store/{coll}", headers=A).json())
    assert [r["key"] for r in first["data"]] == keys[:20] and first["has_more"] is True  # default limit 20
    seen, after = [], None
    while True:
        params: dict[str, Any] = {"limit": 7, **({"after": after} if after else {})}
        page = valid("StoreRecordList", gw.get(f"/store/{coll}", params=params, headers=A).json())
        seen += [r["key"] for r in page["data"]]
        if not page["has_more"]:
            break
        after = page["data"][-1]["key"]
    assert seen == keys
    assert gw.get(f"/store/{coll}", params={"limit": 100, "after": "k23"}, headers=A).json()["data"][0]["key"] == "k24"
    assert gw.get(f"/store/{coll}", params={"limit": 25}, headers=A).json()["has_more"] is False


def test_an_empty_collection_lists_as_empty(gw: TestClient, coll: str) -> None:
    assert gw.get(f"/store/{coll}", headers=A).json() == {"object": "list", "data": [], "has_more": False}


@pytest.mark.parametrize("limit", ["0", "101", "-1", "x", "1.5", "", "99999999999999999999"])
def test_bad_limit_is_a_400(gw: TestClient, limit: str, check_error: ErrorCheck) -> None:
    check_error(gw.get("/store/c", params={"limit": limit}, headers=A), 400, param="limit")


@pytest.mark.parametrize("body, param", [
    ({}, "value"), ({"value": []}, "value"), ({"value": "text"}, "value"), ({"value": None}, "value"),
    ({"key": "", "value": {}}, "key"), ({"key": 7, "value": {}}, "key"), ([], None), ("x", None),
])
@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_invalid_bodies_are_a_400(gw: TestClient, body: Any, param: str | None, method: str,
                                  check_error: ErrorCheck) -> None:
    url = "/store/c" if method == "POST" else "/store/c/k"
    check_error(gw.request(method, url, json=body, headers=A), 400, param=param, code="invalid_parameter")


@pytest.mark.parametrize("content, content_type, code", [
    (b"{", "application/json", "invalid_json"), (b"", "application/json", "invalid_json"),
    (b'{"value": {"s": "\\ud800"}}', "application/json", "invalid_json"),
    (b'{"value": {}}', "text/plain", "invalid_content_type"),
])
def test_unreadable_bodies_are_a_400(gw: TestClient, content: bytes, content_type: str, code: str,
                                     check_error: ErrorCheck) -> None:
    reply = gw.post("/store/c", content=content, headers={**A, "content-type": content_type})
    check_error(reply, 400, code=code)


@pytest.mark.parametrize("method, url", [("GET", "/store/c"), ("POST", "/store/c"), ("GET", "/store/c/k"),
                                         ("PUT", "/store/c/k"), ("DELETE", "/store/c/k")])
@pytest.mark.parametrize("headers", [{}, {"authorization": "Bearer wrong"}, {**B_KEY, "api-secret": "dev-secret"}])
def test_every_operation_needs_credentials(gw: TestClient, method: str, url: str, headers: dict[str, str],
                                           check_error: ErrorCheck) -> None:
    check_error(gw.request(method, url, json={"value": {}}, headers=headers), 401)


def test_tenants_are_isolated(gw: TestClient, coll: str, check_error: ErrorCheck) -> None:
    gw.put(f"/store/{coll}/shared", json={"value": {"owner": "a"}}, headers=A)
    gw.put(f"/store/{coll}/a-only", json={"value": {"owner": "a"}}, headers=A)
    for headers in CREDENTIALS["b"]:  # existence never leaks: another tenant's record is a plain 404
        missing = check_error(gw.get(f"/store/{coll}/a-only", headers=headers), 404, code="record_not_found")
        assert missing == check_error(gw.get(f"/store/{coll}/never", headers=headers), 404) | {
            "message": missing["message"]}
        check_error(gw.delete(f"/store/{coll}/a-only", headers=headers), 404)
        assert gw.get(f"/store/{coll}", headers=headers).json()["data"] == []
    gw.put(f"/store/{coll}/shared", json={"value": {"owner": "b"}}, headers=B)
    assert gw.get(f"/store/{coll}/shared", headers=A).json()["value"] == {"owner": "a"}
    assert gw.get(f"/store/{coll}/shared", headers=B_KEY).json()["value"] == {"owner": "b"}
    assert [r["key"] for r in gw.get(f"/store/{coll}", headers=A).json()["data"]] == ["a-only", "shared"]


def test_tenants_and_their_credentials_are_configurable(tmp_path: Path) -> None:
    tenants = {"t3-token": "tenant-3", "t4-token": "tenant-4"}
    with gateway(tenants=tenants, tenant_keys={"k3": ("s3", "tenant-3")}) as client:
        client.put("/store/c/k", json={"value": {"by": 3}}, headers={"authorization": "Bearer t3-token"})
        assert client.get("/store/c/k", headers={"api-key": "k3", "api-secret": "s3"}).status_code == 200
        assert client.get("/store/c/k", headers={"authorization": "Bearer t4-token"}).status_code == 404
        assert client.get("/store/c/k", headers=B).status_code == 401  # the default extras are replaced
    with pytest.raises(ValueError, match="non-empty"):
        GatewaySettings(tenants={"tok": ""})


@pytest.mark.parametrize("url_of", [str, lambda path: f"sqlite:///{path}"])
def test_records_survive_a_restart_with_a_file(tmp_path: Path, url_of: Callable[[Path], str]) -> None:
    store = url_of(tmp_path / "sub" / "store.db")
    with gateway(store_url=store) as client:
        created = client.post("/store/notes", json={"key": "k", "value": {"kept": True}}, headers=A).json()
        client.put("/store/notes/other", json={"value": {}}, headers=B)
    with gateway(store_url=store) as client:
        assert client.get("/store/notes/k", headers=A).json() == created
        assert [r["key"] for r in client.get("/store/notes", headers=B).json()["data"]] == ["other"]
    with gateway() as client:  # the default store is in memory, per app
        assert client.get("/store/notes/k", headers=A).status_code == 404


def test_store_urls() -> None:
    assert database_path(None) == database_path("sqlite://") == database_path("sqlite:///:memory:") == ":memory:"
    assert database_path("sqlite:////tmp/x.db") == "/tmp/x.db" and database_path("rel/x.db") == "rel/x.db"
    for bad in ("postgres://host/db", "sqlite:///"):
        with pytest.raises(ValueError):
            create_app(GatewaySettings(store_url=bad))


def test_a_served_stack_handles_concurrent_writers(tmp_path: Path) -> None:
    with ReferenceStack(store_url=str(tmp_path / "s.db")) as stack, \
            httpx.Client(base_url=stack.base_url, trust_env=False, timeout=30) as http:
        def write(i: int) -> int:
            headers = A if i % 2 else B
            return http.put(f"/store/load/k{i:03d}", json={"value": {"i": i}}, headers=headers).status_code

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(write, range(60))) == {200}
        listed = http.get("/store/load", params={"limit": 100}, headers=A_KEY).json()["data"]
        assert [r["value"]["i"] for r in listed] == list(range(1, 60, 2))


# --- defects ----------------------------------------------------------------------------------------------


def test_defect_store_tenant_leak() -> None:
    for defect, leaks in ((None, False), ("store-tenant-leak", True)):
        with gateway(defects=frozenset({defect} - {None})) as client:
            client.put("/store/c/a-record", json={"value": {}}, headers=A)
            listed = client.get("/store/c", headers=B).json()["data"]
            assert (listed != []) is leaks
            assert client.get("/store/c/a-record", headers=B).status_code == 404  # only listing leaks


def test_defect_store_delete_any_tenant() -> None:
    for defect, removed in ((None, False), ("store-delete-any-tenant", True)):
        with gateway(defects=frozenset({defect} - {None})) as client:
            client.put("/store/c/k", json={"value": {}}, headers=A)
            assert client.delete("/store/c/k", headers=B).status_code == (200 if removed else 404)
            assert client.get("/store/c/k", headers=A).status_code == (404 if removed else 200)


def test_defect_store_create_200() -> None:
    for defect, status in ((None, 201), ("store-create-200", 200)):
        with gateway(defects=frozenset({defect} - {None})) as client:
            assert client.post("/store/c", json={"value": {}}, headers=A).status_code == status


def test_defect_store_get_any_tenant() -> None:
    for defect, leaks in ((None, False), ("store-get-any-tenant", True)):
        with gateway(defects=frozenset({defect} - {None})) as client:
            client.put("/store/c/k", json={"value": {"owner": "a"}}, headers=A)
            reply = client.get("/store/c/k", headers=B)
            assert (reply.status_code == 200 and reply.json()["value"] == {"owner": "a"}) is leaks
            client.put("/store/c/k", json={"value": {"owner": "b"}}, headers=B)  # B's own is shadowed by A's
            assert (client.get("/store/c/k", headers=B).json()["value"] == {"owner": "a"}) is leaks
            assert client.get("/store/c", headers=B).json()["data"][0]["value"] == {"owner": "b"}  # only reads leak


def test_defect_store_list_no_paging() -> None:
    for defect, unpaged in ((None, False), ("store-list-no-paging", True)):
        with gateway(defects=frozenset({defect} - {None})) as client:
            for key in ("k1", "k2", "k3"):
                client.put(f"/store/c/{key}", json={"value": {}}, headers=A)
            page = client.get("/store/c", params={"limit": 1, "after": "k1"}, headers=A).json()
            assert ([r["key"] for r in page["data"]], page["has_more"]) == (
                (["k1", "k2", "k3"], False) if unpaged else (["k2"], True))


def test_defect_store_value_as_string() -> None:
    for defect, as_text in ((None, False), ("store-value-as-string", True)):
        with gateway(defects=frozenset({defect} - {None})) as client:
            replies = [client.post("/store/c", json={"key": "k", "value": {"n": 1}}, headers=A),
                       client.put("/store/c/k", json={"value": {"n": 1}}, headers=A),
                       client.get("/store/c/k", headers=A)]
            shown = [reply.json()["value"] for reply in replies]
            shown.append(client.get("/store/c", headers=A).json()["data"][0]["value"])
            assert shown == (['{"n": 1}'] * 4 if as_text else [{"n": 1}] * 4)


def test_defect_store_delete_204() -> None:
    for defect, status in ((None, 200), ("store-delete-204", 204)):
        with gateway(defects=frozenset({defect} - {None})) as client:
            client.put("/store/c/k", json={"value": {}}, headers=A)
            reply = client.delete("/store/c/k", headers=A)
            assert reply.status_code == status and (reply.content == b"") is (status == 204)
            assert client.get("/store/c/k", headers=A).status_code == 404  # it is deleted all the same


def test_defect_store_delete_keeps_record() -> None:
    for defect, kept in ((None, False), ("store-delete-keeps-record", True)):
        with gateway(defects=frozenset({defect} - {None})) as client:
            client.put("/store/c/k", json={"value": {}}, headers=A)
            assert client.delete("/store/c/k", headers=A).json()["deleted"] is True
            assert client.get("/store/c/k", headers=A).status_code == (200 if kept else 404)
            assert client.delete("/store/c/never", headers=A).status_code == 404


def test_defect_store_value_unchecked(check_error: ErrorCheck) -> None:
    for defect, stored in ((None, False), ("store-value-unchecked", True)):
        with gateway(defects=frozenset({defect} - {None})) as client:
            for value in ("text", [1, 2], None):
                reply = client.put("/store/c/k", json={"value": value}, headers=A)
                assert (reply.status_code == 200 and reply.json()["value"] == value) is stored
            check_error(client.put("/store/c/k", json={}, headers=A), 400, param="value")  # still required


def test_every_data_defect_has_a_symptom_test() -> None:
    """Each store-* and voices-* defect has a `test_defect_<name>` here or in test_voices.py."""
    sources = "".join(Path(__file__).with_name(name).read_text(encoding="utf-8")
                      for name in ("test_store.py", "test_voices.py"))
    missing = [name for name in DATA_DEFECTS if f"def test_defect_{name.replace('-', '_')}(" not in sources]
    assert len(DATA_DEFECTS) == 10 and missing == []


# --- property: for random operations of two tenants, each sees exactly its own records ----------------------

KEYS = st.sampled_from(["k1", "k2", "k3", "x/y"])
OPERATIONS = st.one_of(
    st.tuples(st.just("create"), st.sampled_from("ab"), st.sampled_from("pq"), st.none() | KEYS, st.integers(0, 9)),
    st.tuples(st.just("put"), st.sampled_from("ab"), st.sampled_from("pq"), KEYS, st.integers(0, 9)),
    st.tuples(st.just("get"), st.sampled_from("ab"), st.sampled_from("pq"), KEYS, st.just(0)),
    st.tuples(st.just("delete"), st.sampled_from("ab"), st.sampled_from("pq"), KEYS, st.just(0)),
    st.tuples(st.just("list"), st.sampled_from("ab"), st.sampled_from("pq"), st.none(), st.integers(1, 3)),
)
Model = dict[str, dict[tuple[str, str], int]]


def listed(client: TestClient, collection: str, headers: dict[str, str], limit: int) -> dict[str, int]:
    """The whole collection as the tenant sees it, read page by page."""
    records: dict[str, int] = {}
    params: dict[str, Any] = {"limit": limit}
    while True:
        page = client.get(f"/store/{collection}", params=params, headers=headers).json()
        records |= {record["key"]: record["value"]["n"] for record in page["data"]}
        if not page["has_more"]:
            return records
        params["after"] = page["data"][-1]["key"]


def replay(client: TestClient, operations: list[tuple[str, str, str, str | None, int]], credential: int) -> None:
    """Run `operations`, asserting each answer against a model in which tenants never share anything."""
    model: Model = {"a": {}, "b": {}}
    prefix = uuid.uuid4().hex[:8]
    for step, (operation, tenant, short, key, number) in enumerate(operations):
        headers, mine, collection = CREDENTIALS[tenant][(step + credential) % 2], model[tenant], f"{prefix}-{short}"
        url = f"/store/{collection}/{key}"
        if operation == "create":
            reply = client.post(f"/store/{collection}", json={"value": {"n": number}, "key": key}
                                if key else {"value": {"n": number}}, headers=headers)
            assert reply.status_code == (400 if (short, key) in mine else 201), (step, reply.text)
            if reply.status_code == 201:
                mine[(short, reply.json()["key"])] = number
        elif operation == "put":
            assert client.put(url, json={"value": {"n": number}}, headers=headers).status_code == 200
            mine[(short, str(key))] = number
        elif operation == "get":
            reply = client.get(url, headers=headers)
            assert (reply.json()["value"]["n"] if reply.status_code == 200 else None) == mine.get((short, str(key)))
        elif operation == "delete":
            assert client.delete(url, headers=headers).status_code == (200 if mine.pop((short, str(key)), None)
                                                                         is not None else 404), step
        else:
            expected = {k: n for (c, k), n in mine.items() if c == short}
            assert listed(client, collection, headers, number) == expected, step
    for tenant, records in model.items():
        for short in "pq":
            seen = listed(client, f"{prefix}-{short}", CREDENTIALS[tenant][0], 100)
            assert seen == {k: n for (c, k), n in records.items() if c == short}


@settings(max_examples=30, deadline=None, database=None)
@given(operations=st.lists(OPERATIONS, max_size=30), credential=st.integers(0, 1))
def test_no_operation_of_one_tenant_touches_the_other(gw: TestClient, operations: Any, credential: int) -> None:
    replay(gw, operations, credential)


@pytest.mark.parametrize("defect", ["store-tenant-leak", "store-delete-any-tenant"])
def test_the_isolation_property_catches_the_leaks(defect: str) -> None:
    operations = [("put", "a", "p", "k1", 1), ("delete", "b", "p", "k1", 0), ("list", "b", "p", None, 2)]
    with gateway(defects=frozenset({defect})) as client, pytest.raises(AssertionError):
        replay(client, operations, 0)
    with gateway() as client:
        replay(client, operations, 0)
