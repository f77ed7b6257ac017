"""`aigw load chaos PROFILE --scenario S`: load through a timed fault schedule on the mock providers, per phase."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from aigw_conformance import exit_codes
from aigw_conformance.commands import UsageError, writable_dir
from aigw_conformance.interrupt import Abort, Interrupts
from aigw_conformance.load_cli import _reachable
from aigw_conformance.mocks.reference.defects import ALL_DEFECTS
from aigw_conformance.mocks.reference.stack import ReferenceStack
from aigw_conformance.suites.headers import HeaderError, parse_header_lines
from aigw_conformance.suites.load import (
    chaos_expect,
    chaos_phases,
    chaos_plot,
    chaos_report,
    chaos_scenario,
    launch,
    slo,
    summary,
)
from aigw_conformance.suites.load.chaos_control import WARM_UP_S, MockControl, Schedule, first_start
from aigw_conformance.suites.load.profiles import PROFILES
from aigw_conformance.suites.load.samples import read_samples

RUN_PAD_S = WARM_UP_S + 30.0  # locust's run time past the schedule's (its start-up); it is stopped at the end
DEFAULT_LOAD = {"users": 20, "rate": 20.0, "model": "gpt-4", "max_tokens": 32}


def add_parser(sub: Any) -> None:
    chaos = sub.add_parser("load-chaos", help="`aigw load chaos`: load under a timed provider fault schedule",
                           prog="aigw load chaos", epilog=exit_codes.epilog("load"),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    chaos.add_argument("profile", choices=sorted(PROFILES), help="what to send (chat-stream shows stream cuts)")
    chaos.add_argument("--scenario", required=True, help=f"a TOML file or a shipped scenario: "
                       f"{', '.join(chaos_scenario.shipped())}")
    chaos.add_argument("--time-scale", type=float, default=1.0, help="multiply every time of the schedule (phase "
                       "starts, duration, the reference's breaker cooldown, recovery limits), e.g. 0.2 for tests")
    chaos.add_argument("--base-url", help="the gateway's base (default: start the bundled reference and use its "
                       "client gateway, /api/client/v1)")
    chaos.add_argument("--token", default="", help="bearer token (default: $AIGW_TOKEN with --base-url)")
    chaos.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'", help="on every request")
    chaos.add_argument("--mock", action="append", default=[], metavar="PROVIDER=URL",
                       help="with --base-url: the root of the mock behind the gateway for PROVIDER (its /__mock__ "
                            "control endpoint); needed for every provider the scenario puts a fault on")
    chaos.add_argument("--defect", action="append", default=[], help="start the bundled reference with this defect")
    chaos.add_argument("--model", help="chat model (default: the scenario's, else gpt-4)")
    chaos.add_argument("--users", type=int, help="users: the most requests in flight (default: the scenario's)")
    chaos.add_argument("--rate", type=float, help="open loop requests/s (default: the scenario's; 0: closed loop)")
    chaos.add_argument("--max-tokens", type=int, help="max_completion_tokens (default: the scenario's)")
    chaos.add_argument("--seed", type=int, default=0)
    chaos.add_argument("--timeout", type=float, default=30.0, help="per-request timeout in seconds")
    chaos.add_argument("--thresholds", help="TOML file of per-phase limits: [phases.NAME] tables with the keys of "
                       "a phase's `expect` (laid over the scenario's)")
    chaos.add_argument("--report-dir", default="reports/chaos", help="default: reports/chaos")
    chaos.add_argument("--quiet", action="store_true", help="print nothing but the verdict")


def _scenario(args: argparse.Namespace) -> chaos_scenario.Scenario:
    if not args.time_scale > 0:
        raise UsageError(f"--time-scale must be positive, got {args.time_scale}")
    try:
        scenario = chaos_scenario.load(args.scenario)
        if args.thresholds:
            scenario = chaos_scenario.with_limits(scenario, chaos_expect.phase_limits(args.thresholds))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return scenario.scaled(args.time_scale)


def _mock_roots(args: argparse.Namespace, providers: list[str]) -> dict[str, str]:
    roots = {}
    for item in args.mock:
        name, sep, url = item.partition("=")
        if not sep or not url.startswith(("http://", "https://")):
            raise UsageError(f"--mock takes PROVIDER=URL, got {item!r}")
        roots[name.strip()] = url.strip()
    if missing := sorted(set(providers) - set(roots)):
        raise UsageError(f"the scenario puts faults on {', '.join(missing)}: give --mock NAME=URL for each")
    return roots


def run(args: argparse.Namespace) -> int:
    scenario = _scenario(args)
    if args.base_url and args.defect:
        raise UsageError("--defect applies only to the bundled reference (no --base-url)")
    if unknown := sorted(set(args.defect) - set(ALL_DEFECTS)):
        raise UsageError(f"unknown defect {', '.join(unknown)} (see `aigw defects`)")
    try:
        headers = tuple(parse_header_lines(args.header).items())
    except HeaderError as exc:
        raise UsageError(str(exc)) from None
    writable_dir(args.report_dir)
    interrupts = Interrupts(graceful=False)
    with interrupts.armed(), contextlib.ExitStack() as cleanup:
        try:
            return _run(args, scenario, headers, interrupts, cleanup)
        except Abort:
            print("aigw load chaos: interrupted; the faults were cleared")
            return interrupts.code


def _run(args: argparse.Namespace, scenario: chaos_scenario.Scenario, headers: tuple[tuple[str, str], ...],
         interrupts: Interrupts, cleanup: contextlib.ExitStack) -> int:
    if args.base_url:
        base, token = args.base_url, args.token or os.environ.get("AIGW_TOKEN", "")
        roots = _mock_roots(args, scenario.providers)
    else:
        reference = scenario.reference
        overrides: dict[str, Any] = {"client_breaker_threshold": int(reference.get("breaker_threshold", 5)),
                                     "client_breaker_cooldown_s": reference.get("breaker_cooldown_s", 30.0)}
        stack = cleanup.enter_context(ReferenceStack(defects=args.defect, **overrides))
        base, token = stack.client_base_url, args.token or stack.client_token
        roots = {provider: stack.mock_url(provider) for provider in scenario.providers}
    _reachable(base)
    http = cleanup.enter_context(httpx.Client(timeout=10, trust_env=False))
    mocks = {provider: MockControl(root, http) for provider, root in roots.items()}
    try:
        for mock in mocks.values():
            mock.clear()
    except httpx.HTTPError as exc:
        raise UsageError(f"a mock's control endpoint did not answer ({exc}): --mock names the mock's root") from None
    shape = {**DEFAULT_LOAD, **scenario.load}
    shape.update({k: v for k, v in (("users", args.users), ("rate", args.rate), ("model", args.model),
                                    ("max_tokens", args.max_tokens)) if v is not None})
    out = Path(args.report_dir)
    load = launch.LoadRun(
        host=base, profile=args.profile, report_dir=out, run_id=time.strftime("%Y%m%dT%H%M%S") + "-" +
        uuid.uuid4().hex[:6], duration_s=scenario.duration_s + RUN_PAD_S, users=int(shape["users"]),
        rate=float(shape["rate"]), token=token, model=str(shape["model"]), max_tokens=int(shape["max_tokens"]),
        seed=args.seed, request_timeout_s=args.timeout, headers=headers)
    locust: list[subprocess.Popen[bytes]] = []

    def stop_load() -> None:
        for process in locust:
            launch.stop_early(process)

    schedule = Schedule(scenario, mocks, lambda: first_start(str(out), load.run_id), load.time_limit_s,
                        on_end=stop_load)
    schedule.start()
    cleanup.callback(schedule.stop)
    code, logs = launch.execute(load, on_start=locust.append)
    schedule.stop()
    return _report(args, scenario, load, schedule, code, logs, interrupts)


def _report(args: argparse.Namespace, scenario: chaos_scenario.Scenario, load: launch.LoadRun, schedule: Schedule,
            code: int | None, logs: list[Path], interrupts: Interrupts) -> int:
    interrupts.shielded = True
    out = load.report_dir
    samples = read_samples([out], load.run_id)
    meta = {"profile": load.profile, "target": load.host, "run_id": load.run_id, "scenario": scenario.name}
    overall = summary.summarize(samples, target_rate=load.rate or None, meta=meta)
    summary.write_reports(out, overall, samples)
    phases = chaos_phases.analyse(scenario, schedule.timeline, samples)
    problems = [schedule.timeline.problem] if schedule.timeline.problem else []
    passed = not problems and all(not p["breaches"] for p in phases)
    result: dict[str, Any] = {
        "scenario": scenario.name, "description": scenario.description, "time_scale": args.time_scale,
        "target": load.host, "profile": load.profile, "run_id": load.run_id, "defects": args.defect,
        "shape": {"users": load.users, "rate": load.rate, "model": load.model}, "passed": passed,
        "problems": problems, "timeline": schedule.timeline.to_json(), "phases": phases,
    }
    (out / "chaos.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    table = chaos_report.render(result)
    chaos_plot.write(out, samples, phases, f"{scenario.name} → {load.host} ({load.profile})", table)
    status = summary.exit_code(overall)
    if code is None or status == slo.EXIT_RUN_FAILED:
        print(f"aigw load chaos: locust {'was killed at its time limit' if code is None else 'recorded nothing'}; "
              f"last lines of {logs[0]}:\n{launch.tail(logs[0])}")
        status = slo.EXIT_RUN_FAILED
    elif status == slo.EXIT_OK and not passed:
        status = slo.EXIT_BREACH
    if not args.quiet:
        print(table)
    print(f"chaos {scenario.name}: {'PASSED' if status == slo.EXIT_OK else 'FAILED'} "
          f"({out}/chaos.json, {out}/timeline.png, {out}/timeline.html)")
    return status
