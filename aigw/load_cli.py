"""`aigw load PROFILE`: run a load profile in locust's own processes, summarize it exactly, gate on SLOs."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import socket
import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aigw_conformance import exit_codes
from aigw_conformance.commands import TargetDown, UsageError, writable_dir
from aigw_conformance.interrupt import Abort, Interrupts
from aigw_conformance.mocks.reference.stack import ReferenceStack
from aigw_conformance.suites.headers import HeaderError, parse_header_lines
from aigw_conformance.suites.load import error_gate, launch, overhead, slo, summary, workloads
from aigw_conformance.suites.load.profiles import PROFILES, RequestFactory, weights_for
from aigw_conformance.suites.load.sse_timing import TimedClient

ROUTED = ("chaos",)  # `aigw load chaos ...` is parsed as the top-level `load-chaos` (see `routed`)


def routed(argv: list[str]) -> list[str]:
    """`aigw load chaos ARGS` becomes `aigw load-chaos ARGS` (argparse cannot mix a profile with subcommands)."""
    if len(argv) >= 2 and argv[0] == "load" and argv[1] in ROUTED:
        return [f"load-{argv[1]}", *argv[2:]]
    return argv


SUBCOMMANDS = {"sweep": "aigw_conformance.load_sweep_cli"}
"""`aigw load NAME ...`: commands whose module has a parser of its own (`build_parser()`) and `run(args)`."""


def subcommand(argv: Sequence[str]) -> argparse.Namespace | None:
    """`aigw load sweep ...`, parsed by its own module's parser (None for anything else)."""
    if len(argv) < 2 or argv[0] != "load" or argv[1] not in SUBCOMMANDS:
        return None
    module = importlib.import_module(SUBCOMMANDS[argv[1]])
    args: argparse.Namespace = module.build_parser().parse_args(argv[2:])
    args.command, args.subcommand_run = "load", module.run
    return args


def add_parser(sub: Any) -> None:
    from aigw_conformance import load_chaos_cli

    load = sub.add_parser("load", help="load-test a gateway (locust runs in its own processes); SLO gate; "
                          "`aigw load chaos PROFILE --scenario S`: under a provider fault schedule",
                          epilog=exit_codes.epilog("load"), formatter_class=argparse.RawDescriptionHelpFormatter)
    load_chaos_cli.add_parser(sub)
    load.add_argument("profile", choices=sorted(PROFILES), help="what to send; `aigw load sweep PROFILE --help`: "
                      "find the highest rate that meets the SLO")
    load.add_argument("--base-url", help="any OpenAI-compatible base (http://host/v1, .../api/ai/v1); "
                      "default: start the bundled reference on 127.0.0.1")
    load.add_argument("--token", default="", help="bearer token (default: $AIGW_TOKEN with --base-url, else the "
                      "reference's)")
    load.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'",
                      help="send this header on every request to the gateway (routing headers); repeatable")
    load.add_argument("--model", default="gpt-5-mini", help="chat model ID")
    load.add_argument("--embedding-model", default="text-embedding-3-small", help="embeddings model ID")
    load.add_argument("--users", type=int, default=10, help="concurrent users: the fixed concurrency, or with "
                      "--rate the most requests in flight (default 10)")
    load.add_argument("--rate", type=float, default=0.0, help="open loop at this many requests/s in total")
    load.add_argument("--duration", type=float, default=10.0, help="seconds of load (default 10)")
    load.add_argument("--report-dir", default="reports/load", help="default: reports/load")
    load.add_argument("--thresholds", help="TOML SLO file (see suites/load/thresholds.example.toml)")
    load.add_argument("--mix", default="", help="weights for `mixed`, e.g. chat=1,chat-stream=3,embeddings=1")
    load.add_argument("--max-tokens", type=int, default=64, help="max_completion_tokens (default 64)")
    load.add_argument("--seed", type=int, default=0, help="prompts and kinds derive from it (default 0)")
    load.add_argument("--workers", type=int, default=0, help="run a locust master and N workers on this host")
    load.add_argument("--mock-ttft-ms", type=int, help="ask a mock upstream for this TTFT (x-mock-ttft-ms)")
    load.add_argument("--mock-itl-ms", type=int, help="ask a mock upstream for this inter-token delay")
    load.add_argument("--timeout", type=float, default=60.0, help="per-request timeout in seconds")
    load.add_argument("--overhead", action="store_true", help="run the profile against the upstream directly, "
                      "then through the gateway, same seed; report the gateway's overhead per percentile")
    load.add_argument("--direct-base-url", help="with --overhead and --base-url: the upstream's base")
    load.add_argument("--direct-token", default="", help="with --overhead and --base-url: the upstream's token")
    load.add_argument("--max-error-rate", type=float, metavar="RATE",
                      help="fail (exit 1) when more than this share of requests fail, e.g. 0.05; default: the "
                           "thresholds file's max_error_rate, else 0.01; a run whose every request failed always "
                           "fails")
    load.add_argument("--quiet", action="store_true", help="print nothing but errors")
    workloads.add_arguments(load)


def _reachable(base_url: str) -> None:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--base-url must be an http(s) URL, got {base_url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=5).close()
    except OSError as exc:
        raise TargetDown(f"cannot connect to {parts.hostname}:{port}: {exc}") from None


def _serves_embeddings(base_url: str, token: str, model: str) -> bool:
    client = TimedClient(base_url, {"authorization": f"Bearer {token}"}, timeout_s=10)
    try:
        return client.post("probe", "/embeddings", {"model": model, "input": "probe"}).status not in (404, 405)
    finally:
        client.close()


def _warm_up(run: launch.LoadRun) -> None:
    """A few unmeasured requests (each kind once), so neither side of an overhead comparison pays start-up."""
    factory = RequestFactory(weights_for(run.profile, run.mix), model=run.model, max_tokens=run.max_tokens,
                             seed=run.seed + 1, embedding_model=run.embedding_model)
    client = TimedClient(run.host, {**dict(run.headers), **({"authorization": f"Bearer {run.token}"} if run.token
                                                           else {})}, timeout_s=30)
    for index in range(3):
        request = factory.build(index)
        client.post(request.kind, request.path, request.body, request.headers)
    client.close()


def _execute(run: launch.LoadRun, thresholds: slo.Thresholds | None, quiet: bool, max_error_rate: float,
             interrupts: Interrupts) -> tuple[dict[str, Any], int]:
    interrupted = False
    try:
        code, logs = launch.execute(run)
    except Abort:  # launch.execute has stopped every locust process (and its group) on the way out
        interrupts.shielded, interrupted = True, True
        code, logs = 0, [run.report_dir / "locust-main.log"]
    meta = {"profile": run.profile, "target": run.host, "run_id": run.run_id, "seed": run.seed,
            "interrupted": interrupted,
            "shape": {"kind": "open-loop" if run.rate else "fixed-concurrency", "rate": run.rate or None,
                      "users": run.users, "duration_s": run.duration_s, "workers": run.workers}}
    result = summary.build([run.report_dir], run.report_dir, run_id=run.run_id, target_rate=run.rate or None,
                           thresholds=thresholds, meta=meta)
    result["error_gate"] = gate = error_gate.check(result, max_error_rate)
    (run.report_dir / "summary.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    status = summary.exit_code(result)
    if interrupted:
        status = interrupts.code
    elif code is None or status == slo.EXIT_RUN_FAILED:
        why = "hit the time limit and was killed" if code is None else f"exited {code} without a request"
        print(f"aigw load: locust {why}; last lines of {logs[0]}:\n{launch.tail(logs[0])}")
        status = slo.EXIT_RUN_FAILED
    elif status == slo.EXIT_OK and not gate["passed"]:
        status = slo.EXIT_BREACH
    if not quiet:
        print(f"{run.profile} → {run.host}  ({run.report_dir}/summary.json)\n{summary.render(result)}")
    if not gate["passed"] and status != slo.EXIT_UNREACHABLE:
        print(error_gate.render(gate))
    if interrupted:
        print(f"aigw load: interrupted; locust stopped, summary.json holds the {result['requests']:,} requests so far")
    return result, status


def run(args: argparse.Namespace) -> int:
    if (subcommand_run := getattr(args, "subcommand_run", None)) is not None:
        return int(subcommand_run(args))
    if args.duration <= 0 or args.users < 1 or args.rate < 0 or args.workers < 0 or not args.timeout > 0:
        raise UsageError("--duration, --users and --timeout must be positive, --rate and --workers not negative")
    if args.max_error_rate is not None and not 0 <= args.max_error_rate <= 1:
        raise UsageError(f"--max-error-rate must be between 0 and 1, got {args.max_error_rate}")
    try:
        weights = weights_for(args.profile, args.mix)
        headers = tuple(parse_header_lines(args.header).items())
        thresholds = slo.load(args.thresholds) if args.thresholds else None
        args.workload = workloads.locust_options(args)
    except (ValueError, HeaderError) as exc:
        raise UsageError(str(exc)) from None
    if args.overhead and args.base_url and not args.direct_base_url:
        raise UsageError("--overhead with --base-url needs --direct-base-url (the gateway's upstream)")
    writable_dir(args.report_dir)
    max_error_rate = error_gate.limit(args.max_error_rate, thresholds.max_error_rate if thresholds else None)
    interrupts = Interrupts(graceful=False)
    with interrupts.armed():
        try:
            return _run(args, weights, thresholds, max_error_rate, interrupts, headers)
        except Abort:  # before or between the locust runs: nothing was measured
            print("aigw load: interrupted before the load run; nothing measured")
            return interrupts.code


def _run(args: argparse.Namespace, weights: dict[str, float], thresholds: slo.Thresholds | None,
         max_error_rate: float, interrupts: Interrupts, headers: tuple[tuple[str, str], ...]) -> int:
    with contextlib.ExitStack() as cleanup:
        stack = None if args.base_url else cleanup.enter_context(ReferenceStack())
        base, token = ((args.base_url, args.token or os.environ.get("AIGW_TOKEN", "")) if stack is None
                       else (stack.base_url, args.token or stack.token))
        _reachable(base)
        mix = args.mix
        embeddings = stack is not None and bool(weights.get("embeddings"))
        if embeddings and not _serves_embeddings(base, token, args.embedding_model):
            if args.profile == "embeddings":
                raise UsageError("the bundled reference has no /embeddings: pass --base-url of a target that has")
            mix = ",".join(f"{kind}={weight}" for kind, weight in weights.items() if kind != "embeddings")
            print("aigw load: the bundled reference has no /embeddings; the mix runs without embeddings")
        out = Path(args.report_dir)
        run_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        gateway = launch.LoadRun(
            host=base, profile=args.profile, report_dir=out, run_id=run_id, duration_s=args.duration,
            users=args.users, rate=args.rate, token=token, model=args.model, embedding_model=args.embedding_model,
            mix=mix, max_tokens=args.max_tokens, seed=args.seed, mock_ttft_ms=args.mock_ttft_ms,
            mock_itl_ms=args.mock_itl_ms, request_timeout_s=args.timeout, workers=args.workers, headers=headers,
            extra=args.workload,
        )
        if not args.overhead:
            return _execute(gateway, thresholds, args.quiet, max_error_rate, interrupts)[1]
        direct_url = stack.mock_url("openai") + "/v1" if stack else args.direct_base_url
        direct_token = stack.settings.upstream_api_key if stack else args.direct_token
        _reachable(direct_url)
        direct = replace(gateway, host=direct_url, token=direct_token, report_dir=out / "direct", headers=())
        for target in (direct, gateway):
            _warm_up(target)
        direct_summary, direct_status = _execute(direct, None, args.quiet, max_error_rate, interrupts)
        if interrupts.requested:
            return direct_status
        gateway_summary, status = _execute(gateway, thresholds, args.quiet, max_error_rate, interrupts)
        comparison = overhead.compare(direct_summary, gateway_summary)
        (out / "overhead.json").write_text(json.dumps(comparison, indent=2) + "\n", encoding="utf-8")
        if not args.quiet:
            print(overhead.render(comparison))
        return slo.EXIT_RUN_FAILED if direct_status == slo.EXIT_RUN_FAILED else status
