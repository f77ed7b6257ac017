"""A mock's journal is bounded in bytes as well as in entries: 10,000 entries of 1 MiB each were 10 GB a mock."""

from __future__ import annotations

import httpx

from aigw_conformance.mocks.core import control
from aigw_conformance.mocks.core.journal import MAX_BODY_BYTES, MAX_BYTES, MAX_ENTRIES, Journal, cost
from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.openai.app import create_app

MIB = 1024 * 1024


def test_a_mock_keeps_at_most_max_bytes_of_journal_however_large_the_requests() -> None:
    app = create_app()
    controller = control.controller_of(app)
    assert controller is not None
    journal = controller.journal
    sent = MAX_BYTES // MIB + 8  # one more MiB each time than the journal may keep in all
    with ServerThread(app, name="journal-bound") as server, httpx.Client(trust_env=False, timeout=60) as http:
        for n in range(sent):
            body = bytes([65 + n % 26]) * MIB  # not JSON: refused with the provider's 400, and journaled
            reply = http.post(f"{server.base_url}/v1/chat/completions", content=body,
                              headers={"authorization": "Bearer sk-mock", "content-type": "application/json"})
            assert reply.status_code in (400, 401), reply.text
        newest = http.get(f"{server.base_url}/__mock__/journal?since={sent - 1}").json()["data"]
    kept = journal.entries()
    assert 0 < len(kept) < sent and journal.bytes <= MAX_BYTES  # the oldest were dropped
    assert [entry.seq for entry in kept] == list(range(sent - len(kept) + 1, sent + 1))  # the newest, in order
    assert [entry["seq"] for entry in newest] == [sent] and newest[0]["size"] == MIB


def test_both_bounds_and_both_ways_in() -> None:
    by_bytes = Journal(max_bytes=3 * MIB)
    for n in range(5):
        by_bytes.add("POST", f"/{n}", "", [(b"x-n", str(n).encode())], b"x" * MIB)
    assert [e.path for e in by_bytes.entries()] == ["/3", "/4"] and by_bytes.bytes <= 3 * MIB
    fast = Journal(max_bytes=3 * MIB)
    for n in range(5):
        fast.append("POST", f"/{n}", "", [(b"x-n", str(n).encode())], b"x" * MIB)
    assert [e.to_json() for e in fast.entries()] == [e.to_json() for e in by_bytes.entries()]
    assert fast.bytes == by_bytes.bytes == 2 * cost("POST", "/4", "", ((b"x-n", b"4"),), b"x" * MIB)
    huge = Journal(max_bytes=10)  # the newest entry is always kept, whatever it costs
    huge.add("POST", "/big", "", [], b"y" * (MAX_BODY_BYTES + 1))
    assert len(huge) == 1 and huge.entries()[0].size == MAX_BODY_BYTES + 1
    by_count = Journal(max_entries=2)
    for n in range(3):
        by_count.append("GET", f"/{n}", "", [], b"")
    assert [e.path for e in by_count.entries()] == ["/1", "/2"]
    assert by_count.clear() == 2 and by_count.bytes == 0 and len(by_count) == 0
    assert Journal().max_entries == MAX_ENTRIES and MAX_BYTES * 4 <= 128 * MIB  # four mocks in one process
