"""Token-length workloads and replay: seeded distributions, exact prompt lengths, exact output lengths over the mock."""

from __future__ import annotations

import asyncio
import json
import statistics
from pathlib import Path
from typing import Any

import httpx
import pytest

from aigw_conformance.mocks.core.tokens import count_message_tokens
from aigw_conformance.mocks.openai.app import create_app
from aigw_conformance.suites.load import by_length, replay, tokens, workloads
from aigw_conformance.suites.load.profiles import RequestFactory
from aigw_conformance.suites.load.samples import Sample
from aigw_conformance.suites.load.workloads import Lengths, WorkloadFactory, parse_lengths

AUTH = {"authorization": "Bearer sk-test"}


def test_length_specs_parse_to_constants_normals_and_histograms(tmp_path: Path) -> None:
    assert parse_lengths("128") == Lengths(128.0)
    assert parse_lengths("512:128") == Lengths(512.0, 128.0)
    histogram = tmp_path / "h.csv"
    histogram.write_text("# tokens,weight\n64,3\n1024 1\n\n")
    assert parse_lengths(str(histogram)).histogram == ((64, 3.0), (1024, 1.0))
    for bad in ("0", "10:-1", str(tmp_path / "missing.csv")):
        with pytest.raises(ValueError):
            parse_lengths(bad)
    histogram.write_text("64,x\n")
    with pytest.raises(ValueError, match=r"h\.csv:1"):
        parse_lengths(str(histogram))


def test_draws_are_a_pure_function_of_seed_index_and_name_and_follow_the_distribution() -> None:
    normal = parse_lengths("512:128")
    draws = [normal.draw(7, i, "prompt") for i in range(2000)]
    assert draws == [normal.draw(7, i, "prompt") for i in range(2000)]
    assert draws != [normal.draw(8, i, "prompt") for i in range(2000)]
    assert abs(statistics.mean(draws) - 512) < 15 and abs(statistics.stdev(draws) - 128) < 15
    assert min(Lengths(5, 50).draw(0, i, "x") for i in range(500)) == 1  # floored at `least`
    picks = {Lengths(histogram=((64, 1.0), (1024, 0.0))).draw(0, i, "o") for i in range(50)}
    assert picks == {64}


@pytest.mark.parametrize("tokens", [8, 9, 40, 300, 2000])
def test_a_prompt_counts_exactly_the_tokens_asked_for_by_the_mocks_tokenizer(tokens: int) -> None:
    for index in (0, 7, 12345):
        assert count_message_tokens(workloads.prompt_messages(tokens, index)) == tokens


def test_the_load_side_counts_prompts_as_the_mocks_do() -> None:
    conversations = [
        [{"role": "system", "content": "You are a SOC assistant."}, {"role": "user", "content": "What is XDR?"}],
        [{"role": "user", "name": "ana", "content": [{"type": "text", "text": "Hi"}, {"type": "text", "text": "!"}]},
         {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function",
                                                                 "function": {"name": "f", "arguments": "{}"}}]},
         {"role": "tool", "tool_call_id": "c1", "content": "42 <|endoftext|> ünïcødé"}],
        workloads.prompt_messages(700, 3),
    ]
    for messages in conversations:
        assert tokens.prompt_tokens(messages) == count_message_tokens(messages)


def test_the_workload_factory_sets_the_prompt_and_max_completion_tokens_and_asks_the_mock_for_them() -> None:
    factory = WorkloadFactory(RequestFactory({"chat-stream": 1.0}, seed=3), parse_lengths("200:50"),
                              parse_lengths("100:20"))
    request = factory.build(5)
    assert request.prompt_tokens == count_message_tokens(request.body["messages"])
    assert request.body["max_completion_tokens"] == request.output_tokens
    assert request.headers[workloads.OUTPUT_TOKENS_HEADER] == str(request.output_tokens)
    assert request.body["stream"] is True and factory.build(5) == request


def test_over_the_openai_mock_the_output_length_is_reached_exactly() -> None:
    factory = WorkloadFactory(RequestFactory({"chat": 1.0}), parse_lengths("50"), parse_lengths("300:100"))
    requests = [factory.build(index) for index in range(6)]

    async def send() -> tuple[list[dict[str, Any]], dict[str, Any]]:
        transport = httpx.ASGITransport(app=create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://mock/v1", headers=AUTH) as client:
            answers = [(await client.post("/chat/completions", json=r.body, headers=r.headers)).json()
                       for r in requests]
            plain = await client.post("/chat/completions", json={**requests[0].body, "max_completion_tokens": 400})
            return answers, plain.json()

    answers, plain = asyncio.run(send())
    for request, answer in zip(requests, answers, strict=True):
        assert answer["usage"]["completion_tokens"] == request.output_tokens, answer
        assert answer["usage"]["prompt_tokens"] == request.prompt_tokens == 50
        assert answer["choices"][0]["finish_reason"] == "length"
    assert len({r.output_tokens for r in requests}) > 1
    assert plain["usage"]["completion_tokens"] <= 60  # without the header: the natural length (8 to 60 tokens)


def test_replay_files_are_read_sorted_and_scheduled_and_requests_replayed_as_recorded(tmp_path: Path) -> None:
    recorded = tmp_path / "requests.jsonl"
    lines = [{"timestamp": "2026-01-01T00:00:02Z", "messages": [{"role": "user", "content": "b"}], "stream": True,
              "max_completion_tokens": 9},
             {"timestamp": "2026-01-01T00:00:00Z", "messages": [{"role": "user", "content": "a"}], "model": "m",
              "temperature": 0.5}]
    recorded.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    records = replay.load(str(recorded))
    assert [r.offset_s for r in records] == [0.0, 2.0] and records[1].output_tokens == 9
    assert [replay.offset(records, i) for i in range(4)] == [0.0, 2.0, 4.0, 6.0]  # wraps after span + mean gap
    factory = replay.ReplayFactory(records, RequestFactory({"chat": 1.0}, model="fallback"))
    first, second = factory.build(0), factory.build(1)
    assert first.kind == "chat" and first.body["model"] == "m" and first.body["temperature"] == 0.5
    assert second.kind == "chat-stream" and second.body["model"] == "fallback"
    assert second.body["stream_options"] == {"include_usage": True} and "timestamp" not in second.body
    assert second.headers == {workloads.OUTPUT_TOKENS_HEADER: "9"} and first.headers == {}
    now, slept = [100.0], []
    schedule = replay.ReplaySchedule(records, speed=2.0, first=1, step=2, clock=lambda: now[0],
                                     sleep=lambda s: slept.append(s))
    assert schedule.wait() == 0.0 and slept == [1.0]  # index 1 at 2 s, twice as fast
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": []}\n')
    with pytest.raises(ValueError, match=r"bad\.jsonl:1"):
        replay.load(str(bad))


def test_summaries_per_length_bucket_count_requests_and_exact_outputs() -> None:
    samples = [Sample(t=0, kind="chat", ok=True, e2e_ms=10, output_tokens=100, prompt_tokens=300,
                      target_output_tokens=100),
               Sample(t=0, kind="chat", ok=True, e2e_ms=10, output_tokens=90, prompt_tokens=260,
                      target_output_tokens=100),
               Sample(t=0, kind="chat", ok=False, e2e_ms=10, prompt_tokens=20, target_output_tokens=8)]
    rows = by_length.summarize(samples)
    assert list(rows) == ["prompt 16-31 / output 8-15", "prompt 256-511 / output 64-127"]
    assert rows["prompt 256-511 / output 64-127"]["output_exact"] == 0.5
    assert rows["prompt 16-31 / output 8-15"] | {"ttft_ms": 0, "tpot_ms": 0, "e2e_ms": 0} == {
        "requests": 1, "errors": 1, "output_exact": None, "ttft_ms": 0, "tpot_ms": 0, "e2e_ms": 0}
    assert by_length.summarize([Sample(t=0, kind="chat", ok=True)]) == {}
    assert by_length.bucket(1) == "1-1" and by_length.bucket(100) == "64-127" and by_length.bucket(None) == "-"
