"""The store never poisons itself: values JSON cannot give back are refused before commit, a made key is never a
duplicate, and `aigw serve --store PATH` keeps every acknowledged write across a `kill -9` and a restart."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from served import kill, serve

from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.reference import GatewaySettings, create_app
from aigw_conformance.mocks.reference.store import routes

A = {"authorization": "Bearer dev-token", "content-type": "application/json"}
WRITES = 40


@pytest.fixture(scope="module")
def store() -> Iterator[httpx.Client]:
    with ServerThread(create_app(GatewaySettings()), name="store-gateway") as server, \
            httpx.Client(base_url=server.base_url + "/api/ai/v1/store", headers=A, timeout=30,
                         trust_env=False) as http:
        yield http


@pytest.mark.parametrize("number", [b"1e400", b"-1e400", b"123456789e999"])
def test_a_number_that_overflows_is_refused_and_the_collection_stays_readable(
        store: httpx.Client, number: bytes) -> None:
    good = store.post("/overflow", content=b'{"key": "ok", "value": {"n": 1}}')
    assert good.status_code in (201, 400), good.text  # 400: a previous case made it already
    for method, path in (("POST", "/overflow"), ("PUT", "/overflow/bad")):
        reply = store.request(method, path, content=b'{"key": "bad", "value": {"deep": [' + number + b"]}}")
        assert reply.status_code == 400, reply.text
        assert reply.json()["error"]["code"] == "invalid_json"
        assert number.decode().lstrip("-") in reply.headers["x-error"]  # the error names the number
    listed = store.get("/overflow")
    assert listed.status_code == 200 and [record["key"] for record in listed.json()["data"]] == ["ok"]
    assert store.get("/overflow/ok").status_code == 200 and store.get("/overflow/bad").status_code == 404


def test_a_post_without_a_key_answers_the_key_it_made_even_after_a_clash(
        store: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    made = iter(["rec_same", "rec_same", "rec_other"])
    monkeypatch.setattr(routes, "new_key", lambda: next(made))
    first, second = (store.post("/made", json={"value": {"n": n}}) for n in (1, 2))
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert (first.json()["key"], second.json()["key"]) == ("rec_same", "rec_other")
    assert store.get("/made/rec_other").json()["value"] == {"n": 2}
    clash = store.post("/made", json={"key": "rec_same", "value": {}})  # the caller's own key: its duplicate
    assert clash.status_code == 400 and clash.json()["error"]["code"] == "duplicate_key"


def test_serve_store_keeps_every_acknowledged_write_across_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    served = serve("--store", str(path))
    assert served.printed("data store") == str(path)
    acknowledged: dict[str, dict[str, int]] = {}
    try:
        with httpx.Client(base_url=served.base_url + "/store", headers=A, timeout=30, trust_env=False) as http:
            for n in range(WRITES):
                reply = (http.post("/durable", json={"value": {"n": n}}) if n % 2 else
                         http.put(f"/durable/k{n}", json={"value": {"n": n}}))
                assert reply.status_code in (200, 201), reply.text
                acknowledged[reply.json()["key"]] = {"n": n}
        os.kill(served.process.pid, signal.SIGKILL)  # no shutdown, no close: only what each commit wrote
    finally:
        kill(served.process)
    assert served.process.returncode == -signal.SIGKILL and path.exists()
    served = serve("--store", str(path))
    try:
        with httpx.Client(base_url=served.base_url + "/store", headers=A, timeout=30, trust_env=False) as http:
            for key, value in acknowledged.items():
                found = http.get(f"/durable/{key}")
                assert found.status_code == 200 and found.json()["value"] == value, (key, found.text)
            listed = http.get("/durable", params={"limit": 100}).json()["data"]
            assert {record["key"] for record in listed} == set(acknowledged)
    finally:
        kill(served.process)
