"""The locust side: command-line options, the per-process plan, and `LoadUser`, which replays a profile."""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from locust import User, constant, task
from locust.env import Environment
from locust.runners import WorkerRunner

from aigw_conformance.suites.load import replay, workloads
from aigw_conformance.suites.load.launch import HEADERS_ENV, TOKEN_ENV
from aigw_conformance.suites.load.profiles import PROFILES, RequestFactory, weights_for
from aigw_conformance.suites.load.samples import Sample, SampleWriter, sample_path, worker_id
from aigw_conformance.suites.load.shapes import Shape, for_process
from aigw_conformance.suites.load.sse_timing import TimedClient


def add_arguments(parser: Any) -> None:
    """Our options on locust's parser; a master sends them to its workers with every spawn message."""
    group = parser  # locust's own parser: its groups lack env_var and is_secret
    group.add_argument("--load-profile", choices=sorted(PROFILES), default="chat-stream", help="what to send")
    group.add_argument("--mix", default="", help="mixed weights, e.g. chat=1,chat-stream=3,embeddings=1")
    group.add_argument("--rate", type=float, default=0.0,
                       help="open loop: total requests/s over all workers (0: fixed concurrency, one per user)")
    group.add_argument("--model", default="gpt-5-mini", help="chat model ID")
    group.add_argument("--embedding-model", default="text-embedding-3-small", help="embeddings model ID")
    group.add_argument("--max-tokens", type=int, default=64, help="max_completion_tokens of chat requests")
    group.add_argument("--seed", type=int, default=0, help="prompts, kinds and the `seed` field derive from it")
    group.add_argument("--token", default="", env_var=TOKEN_ENV, is_secret=True, help="bearer token")
    group.add_argument("--extra-headers", default="", env_var=HEADERS_ENV, is_secret=True,
                       help="a JSON object of headers sent on every request (routing headers)")
    group.add_argument("--mock-ttft-ms", type=int, default=None, help="send x-mock-ttft-ms (mock targets)")
    group.add_argument("--mock-itl-ms", type=int, default=None, help="send x-mock-itl-ms (mock targets)")
    group.add_argument("--request-timeout", type=float, default=60.0, help="per-request socket timeout, s")
    group.add_argument("--report-dir", default="reports/load", help="samples-*.jsonl and summary.json go here")
    group.add_argument("--run-id", default=time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}",
                       help="names this run's sample files (a master's value is used by its workers)")
    group.add_argument("--thresholds", default="", help="TOML SLO thresholds: a breach exits with code 1")
    group.add_argument("--no-summary", action="store_true", help="only write samples (aigw load summarizes)")
    workloads.add_arguments(group)


@dataclass
class Plan:
    """What one locust process sends and where it records it; built when the test starts."""

    factory: RequestFactory | workloads.WorkloadFactory | replay.ReplayFactory
    shape: Shape
    path: str
    headers: dict[str, str]
    timeout_s: float
    indices: Iterator[int]
    worker: str = field(default_factory=worker_id)
    stopping: bool = False
    writer: SampleWriter | None = None

    def record(self, sample: Sample) -> None:
        if self.writer is None:
            self.writer = SampleWriter(self.path)
        self.writer.write(sample)


PLAN: Plan | None = None


def start(environment: Environment) -> None:
    """Build this process's plan (a worker takes its share of the rate and its own sample file)."""
    global PLAN
    options, runner = environment.parsed_options, environment.runner
    assert options is not None, "locust parses its options before a test starts"
    is_worker = isinstance(runner, WorkerRunner)
    workers = max(1, int(options.expect_workers or 1)) if is_worker else 1
    index = max(0, runner.worker_index) if isinstance(runner, WorkerRunner) else 0
    factory = RequestFactory(
        weights_for(options.load_profile, options.mix), model=options.model,
        embedding_model=options.embedding_model, max_tokens=options.max_tokens, seed=options.seed,
        mock_ttft_ms=options.mock_ttft_ms, mock_itl_ms=options.mock_itl_ms,
    )
    if PLAN is not None and PLAN.writer is not None:
        PLAN.writer.close()
    shape = (replay.ReplaySchedule(replay.load(options.replay), speed=options.replay_speed, first=index, step=workers)
             if options.replay else for_process(options.rate or None, workers=workers, worker_index=index))
    PLAN = Plan(
        factory=workloads.wrap(factory, options), shape=shape,
        path=str(sample_path(options.report_dir, options.run_id)),
        headers={**json.loads(options.extra_headers or "{}"),
                 **({"authorization": f"Bearer {options.token}"} if options.token else {})},
        timeout_s=options.request_timeout, indices=itertools.count(index, workers),
    )


def stopping() -> None:
    if PLAN is not None:
        PLAN.stopping = True


def stop() -> None:
    if PLAN is not None and PLAN.writer is not None:
        PLAN.writer.close()
        PLAN.writer = None


class LoadUser(User):
    """One in-flight request at a time; the shape decides when (open-loop slot, or back to back)."""

    wait_time = constant(0)

    def on_start(self) -> None:
        assert PLAN is not None, "the test_start hook did not run"
        self.timed = TimedClient(self.host or "", PLAN.headers, PLAN.timeout_s)

    def on_stop(self) -> None:
        self.timed.close()

    @task
    def send(self) -> None:
        plan = PLAN
        if plan is None or plan.stopping:
            return
        lag = plan.shape.wait()
        if plan.stopping:  # the run ended while this user waited for its slot
            return
        request = plan.factory.build(next(plan.indices))
        sample = self.timed.post(request.kind, request.path, request.body, request.headers)
        sample.lag_ms, sample.worker = lag, plan.worker
        sample.prompt_tokens, sample.target_output_tokens = request.prompt_tokens, request.output_tokens
        plan.record(sample)
        self.environment.events.request.fire(
            request_type="POST", name=request.kind, response_time=sample.e2e_ms, response_length=sample.bytes,
            exception=None if sample.ok else RuntimeError(sample.error), context={"status": sample.status},
        )
