"""`aigw load sweep PROFILE`: find the highest open-loop rate whose run meets every threshold."""

from __future__ import annotations

import argparse
import contextlib
import os
import time
import uuid
from dataclasses import replace
from pathlib import Path

from aigw_conformance import exit_codes
from aigw_conformance.commands import UsageError, writable_dir
from aigw_conformance.interrupt import Abort, Interrupts
from aigw_conformance.load_cli import _execute, _reachable, _warm_up
from aigw_conformance.mocks.reference.stack import ReferenceStack
from aigw_conformance.suites.headers import HeaderError, parse_header_lines
from aigw_conformance.suites.load import error_gate, launch, slo, sweep, sweep_report, workloads
from aigw_conformance.suites.load.profiles import PROFILES

DEFAULT_THRESHOLDS = Path(slo.__file__).with_name("thresholds.example.toml")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aigw load sweep", description=__doc__ + " A synchronous run (one user), a saturation run (--users "
        "back to back), then --rates open-loop rates spaced between their rates (or, with --search, bisected "
        "towards the limit); bounded by --duration per run and --budget in all.",
        epilog=exit_codes.epilog("load"), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profile", choices=sorted(PROFILES), help="what to send")
    parser.add_argument("--thresholds", default=str(DEFAULT_THRESHOLDS),
                        help="TOML SLO file every run is judged by (default: suites/load/thresholds.example.toml)")
    parser.add_argument("--base-url", help="the gateway's base URL; default: start the bundled reference")
    parser.add_argument("--token", default="", help="bearer token (default: $AIGW_TOKEN, else the reference's)")
    parser.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'",
                        help="send this header on every request; repeatable")
    parser.add_argument("--model", default="gpt-5-mini", help="chat model ID")
    parser.add_argument("--rates", type=int, default=4, help="open-loop runs (default 4; with --search at most)")
    parser.add_argument("--search", action="store_true", help="bisect towards the limit instead of spacing evenly")
    parser.add_argument("--resolution", type=float, default=0.1,
                        help="--search stops when pass and fail are this share apart (default 0.1)")
    parser.add_argument("--users", type=int, default=32,
                        help="users of the saturation run, and the open loop's in-flight cap (default 32)")
    parser.add_argument("--duration", type=int, default=5, help="whole seconds per run (default 5)")
    parser.add_argument("--budget", type=float, default=150.0,
                        help="seconds for the whole sweep: no run starts that would end past it (default 150)")
    parser.add_argument("--report-dir", default="reports/load-sweep", help="default: reports/load-sweep")
    parser.add_argument("--max-tokens", type=int, default=64, help="max_completion_tokens (default 64)")
    parser.add_argument("--seed", type=int, default=0, help="requests derive from it (default 0)")
    parser.add_argument("--workers", type=int, default=0, help="a locust master and N workers per run")
    parser.add_argument("--mock-ttft-ms", type=int, help="ask a mock upstream for this TTFT")
    parser.add_argument("--mock-itl-ms", type=int, help="ask a mock upstream for this inter-token delay")
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request timeout in seconds (default 30)")
    parser.add_argument("--max-error-rate", type=float, metavar="RATE",
                        help="a run with more errors fails (default: the thresholds' max_error_rate, else 0.01)")
    workloads.add_arguments(parser)
    parser.add_argument("--quiet", action="store_true", help="print only the table and the verdict")
    return parser


def _check(args: argparse.Namespace) -> None:
    if args.duration <= 0 or args.users < 1 or args.rates < 1 or args.budget <= 0 or args.workers < 0:
        raise UsageError("--duration, --users, --rates and --budget must be positive, --workers not negative")
    if not 0 < args.resolution < 1:
        raise UsageError(f"--resolution must be between 0 and 1, got {args.resolution}")


def run(args: argparse.Namespace) -> int:
    _check(args)
    try:
        headers = tuple(parse_header_lines(args.header).items())
        thresholds = slo.load(args.thresholds)
        extra = workloads.locust_options(args)
    except (ValueError, HeaderError) as exc:
        raise UsageError(str(exc)) from None
    writable_dir(args.report_dir)
    max_error_rate = error_gate.limit(args.max_error_rate, thresholds.max_error_rate)
    latency = {metric: limits for metric, limits in thresholds.latency.items() if metric != "lag_ms"}
    closed_loop = replace(thresholds, min_rate_ratio=None, latency=latency)
    plan = sweep.Plan(rates=args.rates, users=args.users, search=args.search, resolution=args.resolution,
                      duration_s=args.duration, budget_s=args.budget)
    interrupts = Interrupts(graceful=False)
    out = Path(args.report_dir)
    out.mkdir(parents=True, exist_ok=True)
    with interrupts.armed(), contextlib.ExitStack() as cleanup:
        stack = None if args.base_url else cleanup.enter_context(ReferenceStack())
        base, token = ((args.base_url, args.token or os.environ.get("AIGW_TOKEN", "")) if stack is None
                       else (stack.base_url, args.token or stack.token))
        _reachable(base)
        sweep_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]

        def execute(step: sweep.Step) -> dict[str, object]:
            index = len(runner.points)
            load = launch.LoadRun(
                host=base, profile=args.profile, report_dir=out / f"{index:02d}-{step.name}",
                run_id=f"{sweep_id}-{index:02d}", duration_s=args.duration, users=step.users, rate=step.rate,
                token=token, model=args.model, max_tokens=args.max_tokens, seed=args.seed,
                mock_ttft_ms=args.mock_ttft_ms, mock_itl_ms=args.mock_itl_ms, request_timeout_s=args.timeout,
                workers=args.workers, headers=headers, extra=extra, stop_timeout_s=min(5.0, args.timeout))
            judged = thresholds if step.kind == sweep.RATE else closed_loop  # no schedule: no lag, no rate ratio
            result, _ = _execute(load, judged, True, max_error_rate, interrupts)
            if interrupts.requested:
                raise Abort(2)
            if not args.quiet:
                breaches = sweep.verdict(result)
                print(f"  {step.name}: {result['requests']} requests, achieved {result['achieved_rate'] or 0:.1f}/s, "
                      f"{'ok' if not breaches else 'FAIL: ' + '; '.join(breaches)}", flush=True)
            return result

        runner = sweep.Sweep(plan, execute)
        _warm_up(launch.LoadRun(host=base, profile=args.profile, report_dir=out, run_id="warm-up", duration_s=1,
                                users=1, token=token, model=args.model, max_tokens=args.max_tokens, headers=headers))
        try:
            runner.run()
        except Abort:
            runner.stopped = "interrupted"
        interrupts.shielded = True
        best = sweep.max_sustainable(runner.points)
        meta = {"profile": args.profile, "target": base, "thresholds": str(args.thresholds),
                "plan": vars(plan), "stopped": runner.stopped}
        files = sweep_report.write(out, runner.points, best, meta)
        print(sweep_report.render(runner.points, best, runner.stopped))
        print(f"reports: {', '.join(str(f) for f in files)}")
        if runner.stopped == "interrupted":
            return interrupts.code
        return exit_codes.OK if best is not None else slo.EXIT_BREACH
