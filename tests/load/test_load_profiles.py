"""Profiles and their deterministic requests; the open-loop pacer and its lateness; the per-worker split."""

from __future__ import annotations

from collections import Counter

import pytest

from aigw_conformance.suites.load.profiles import RequestFactory, parse_mix, weights_for
from aigw_conformance.suites.load.shapes import FixedConcurrency, OpenLoop, for_process


class FakeTime:
    """A clock that only moves when slept on, or when a request 'takes' time."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_mix_weights_parse_and_reject_mistakes() -> None:
    assert parse_mix("chat=1, chat-stream=3,embeddings=0.5") == {"chat": 1, "chat-stream": 3, "embeddings": 0.5}
    for bad in ("chat", "chats=1", "chat=-1", "chat=x", "chat=0"):
        with pytest.raises(ValueError):
            parse_mix(bad)
    assert weights_for("chat-stream", "chat=1") == {"chat-stream": 1.0}  # --mix only shapes `mixed`
    with pytest.raises(ValueError, match="unknown load profile"):
        weights_for("stream", None)


def test_the_same_seed_replays_the_same_requests() -> None:
    one, two = (RequestFactory(weights_for("mixed"), seed=7) for _ in range(2))
    assert [one.build(i) for i in range(50)] == [two.build(i) for i in range(50)]
    other = RequestFactory(weights_for("mixed"), seed=8)
    assert [one.build(i).body for i in range(20)] != [other.build(i).body for i in range(20)]


def test_mixed_follows_its_weights_and_each_kind_has_its_shape() -> None:
    factory = RequestFactory(parse_mix("chat=1,chat-stream=3,embeddings=1"), max_tokens=9, mock_ttft_ms=100)
    requests = [factory.build(i) for i in range(2000)]
    counts = Counter(r.kind for r in requests)
    assert 0.55 < counts["chat-stream"] / 2000 < 0.65 and 0.15 < counts["embeddings"] / 2000 < 0.25
    stream = next(r for r in requests if r.kind == "chat-stream")
    assert stream.body["stream"] is True and stream.body["stream_options"] == {"include_usage": True}
    assert stream.body["max_completion_tokens"] == 9 and stream.headers == {"x-mock-ttft-ms": "100"}
    chat = next(r for r in requests if r.kind == "chat")
    assert "stream" not in chat.body and chat.path == "/chat/completions"
    embeddings = next(r for r in requests if r.kind == "embeddings")
    assert embeddings.path == "/embeddings" and set(embeddings.body) == {"model", "input"}


def test_open_loop_keeps_its_schedule_and_reports_how_late_a_request_started() -> None:
    time = FakeTime()
    pacer = OpenLoop(10.0, clock=time.clock, sleep=time.sleep)
    assert pacer.wait() == 0.0 and time.now == 0.0
    assert pacer.wait() == 0.0 and time.now == pytest.approx(0.1)
    time.now += 0.35  # the only free user was busy: the next slot (due at 0.2) starts at 0.45
    assert pacer.wait() == pytest.approx(250.0)
    assert pacer.wait() == pytest.approx(150.0)  # due at 0.3: the schedule does not shift (open loop)
    assert pacer.wait() == pytest.approx(50.0)
    assert pacer.wait() == 0.0 and time.now == pytest.approx(0.5)


def test_workers_split_the_rate_and_interleave() -> None:
    shapes = [for_process(30.0, workers=3, worker_index=i) for i in range(3)]
    assert all(isinstance(s, OpenLoop) and s.rate == pytest.approx(10.0) for s in shapes)
    assert [s.phase_s for s in shapes if isinstance(s, OpenLoop)] == pytest.approx([0.0, 1 / 30, 2 / 30])
    assert isinstance(for_process(None), FixedConcurrency) and for_process(0.0).wait() is None
    with pytest.raises(ValueError):
        OpenLoop(0.0)
