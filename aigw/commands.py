"""The subcommands behind `aigw`: serve, check, defects, features, selftest."""

from __future__ import annotations

import argparse
import signal
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from aigw_conformance import upstreams
from aigw_conformance.mocks.reference.defects import DEFECTS, QUIRKS
from aigw_conformance.mocks.reference.stack import ReferenceStack
from aigw_conformance.reports.markdown import deep_summary
from aigw_conformance.reports.model import Report, TestResult
from aigw_conformance.reports.writers import write_all
from aigw_conformance.suites.conformance import TESTS
from aigw_conformance.suites.exchange import Probe
from aigw_conformance.suites.failures import TargetUnreachable
from aigw_conformance.suites.features import PROFILES
from aigw_conformance.suites.headers import HeaderError, parse_header_lines
from aigw_conformance.suites.runner import run
from aigw_conformance.suites.selftest import SelfTestRow, mutation_score, pointed_at, reference_stack
from aigw_conformance.suites.selftest import selftest as run_selftest
from aigw_conformance.suites.target import (
    CREDENTIAL_VARIABLES,
    REFERENCE_TARGET,
    Target,
    TargetError,
    credentials_from_environment,
    load_target,
)

MARK = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}


class UsageError(Exception):
    """A usage or configuration problem: exit code 2."""


class TargetDown(Exception):
    """The target does not answer at all: exit code 3."""


def _load(args: argparse.Namespace) -> Target:
    try:
        target = load_target(Path(args.target) if args.target else REFERENCE_TARGET)
    except TargetError as error:
        raise UsageError(str(error)) from error
    if (args.api_key is None) != (args.api_secret is None):
        raise UsageError("--api-key and --api-secret go together")
    if getattr(args, "examples", None) is not None and args.examples < 1:
        raise UsageError("--examples must be at least 1")
    try:
        headers = parse_header_lines(getattr(args, "header", None) or [])
    except HeaderError as error:
        raise UsageError(str(error)) from error
    target = _with_deep_bounds(target, args).with_overrides(
        base_url=args.base_url, client_base_url=args.client_base_url, model=args.model, headers=headers or None,
        examples=getattr(args, "examples", None), timeout_s=getattr(args, "timeout_s", None),
    )
    return _with_credentials(target, args)


def _with_credentials(target: Target, args: argparse.Namespace) -> Target:
    """The flags' credentials over the environment's (AIGW_TOKEN, ...; only for a live target) over the file's."""
    from_env = credentials_from_environment() if target.base_url or target.client_base_url else {}
    if ("api_key" in from_env) != ("api_secret" in from_env) and args.api_key is None:
        raise UsageError(f"{CREDENTIAL_VARIABLES['api_key']} and {CREDENTIAL_VARIABLES['api_secret']} go together")
    flags = {"token": args.token, "api_key": args.api_key, "api_secret": args.api_secret,
             "client_token": getattr(args, "client_token", None)}
    return target.with_overrides(**{key: flags[key] if flags[key] is not None else from_env.get(key)
                                    for key in flags})


def _with_deep_bounds(target: Target, args: argparse.Namespace) -> Target:
    """`target` with the `--deep-*` flags applied to its `[fuzz.deep]` bounds; UsageError for unusable ones."""
    flags = {"requests": "deep_requests", "max_requests": "deep_max_requests", "budget_s": "deep_budget_s",
             "seed": "deep_seed"}
    given = {key: getattr(args, flag) for key, flag in flags.items() if getattr(args, flag, None) is not None}
    if given.get("requests") and "max_requests" not in given:  # a goal above the file's cap raises the cap
        given["max_requests"] = max(target.deep.max_requests, given["requests"])
    try:
        return replace(target, deep=replace(target.deep, **given)) if given else target
    except ValueError as error:
        raise UsageError(str(error)) from error


def _stack(defects: list[str], quirks: list[str], **kwargs: Any) -> ReferenceStack:
    try:
        return ReferenceStack(defects=tuple(defects), quirks=tuple(quirks), **kwargs)
    except ValueError as error:
        raise UsageError(str(error)) from error


def _reference_for(target: Target, defects: list[str], quirks: list[str]) -> ReferenceStack:
    """The reference set up for `target` (its `[client]` limits), as `aigw check` without --base-url starts it."""
    try:
        return reference_stack(target, defects=defects, quirks=quirks)
    except ValueError as error:  # an unknown defect or quirk, or [client] options the reference cannot take
        raise UsageError(str(error)) from error


def serve(args: argparse.Namespace) -> int:
    credentials: dict[str, Any] = {
        key: value for key, value in
        {"token": args.token, "api_key": args.api_key, "api_secret": args.api_secret}.items() if value}
    if args.upstream_timeout is not None:
        if not 0 < args.upstream_timeout < float("inf"):
            raise UsageError(f"--upstream-timeout must be a positive number of seconds, got {args.upstream_timeout}")
        credentials["upstream_timeout_s"] = args.upstream_timeout
    try:
        provider_urls = upstreams.provider_urls(args.provider_url)
        provider_keys = upstreams.provider_keys(args.provider_key, provider_urls)
    except ValueError as error:
        raise UsageError(str(error)) from error
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        stack = _stack(args.defect, args.quirk, port=args.port, provider_urls=provider_urls,
                       provider_keys={name: key for name, (key, _) in provider_keys.items()}, **credentials)
        stack.start()
    except OSError as error:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.port}: {error}") from error
    try:
        print(f"reference gateway  {stack.base_url}")
        print(f"mock provider      {stack.mock_base_url}")
        for name, url in provider_urls.items():
            key_from = provider_keys[name][1] if name in provider_keys else "the mocks' key"
            print(f"{name + ' upstream':<19}{url}   (--provider-url: instead of the mock; key: {key_from})")
        print(f"bearer token       {stack.token}")
        print(f"api-key/secret     {stack.api_key} / {stack.api_secret}")
        print(f"2nd tenant token   {stack.second_token or '-'}   (target file: [auth.second_tenant] token)")
        print(f"client gateway     {stack.client_base_url}")
        print(f"client API token   {stack.client_token}")
        if args.defect or args.quirk:
            print(f"defects / quirks   {', '.join(args.defect) or '-'} / {', '.join(args.quirk) or '-'}")
        print("press Ctrl-C to stop", flush=True)
        stop.wait()
    finally:
        stack.stop()
    return 0


def _print_result(result: TestResult) -> None:
    print(f"{MARK[result.outcome]}  {result.id:<52} {result.duration_s:6.2f}s  "
          f"{'' if result.outcome == 'passed' else result.message[:160]}".rstrip(), flush=True)


def _print_line(line: str) -> None:
    print(line, flush=True)


def _preflight(target: Target) -> None:
    """Exit 3 early when the AI API base does not answer at all, instead of failing every test."""
    if not target.base_url:
        return
    probe = Probe(timeout_s=min(target.timeout_s, 10.0), extra_headers=dict(target.headers))
    try:
        probe.send("ai", target.base_url, "GET", "/models")
    except TargetUnreachable as error:
        raise TargetDown(f"the target at {target.base_url} is unreachable: {error.reason}") from error
    finally:
        probe.close()


def _summarise(report: Report, written: dict[str, Path]) -> None:
    counts = report.counts()
    print(f"\n{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped "
          f"in {report.duration_s:.1f}s")
    for summary in report.profiles():
        print(f"  {summary.name:<14} {summary.status:<8} passed {summary.passed}, failed {summary.failed}, "
              f"skipped {summary.skipped}")
    if report.deep is not None:
        print(f"deep run: {deep_summary(report.deep)}")
        print("  statuses " + ", ".join(f"{status}: {count:,}" for status, count in report.deep.statuses.items()))
    for kind, path in written.items():
        print(f"{kind:<9} {path}")


def check(args: argparse.Namespace) -> int:
    target = _load(args)
    args.deep = args.deep or any(getattr(args, flag) is not None for flag in
                                 ("deep_requests", "deep_max_requests", "deep_budget_s", "deep_seed"))
    progress = None if args.quiet else _print_result
    deep_progress = None if args.quiet else _print_line
    if target.base_url or target.client_base_url:
        if args.defect or args.quirk:
            raise UsageError("--defect and --quirk apply only when aigw starts the reference (no --base-url)")
        _preflight(target)
        report = run(target, only=args.test, profiles=args.profile, progress=progress, deep=args.deep,
                     deep_progress=deep_progress)
    else:
        with _reference_for(target, args.defect, args.quirk) as stack:
            print(f"started the reference gateway at {stack.base_url} (client gateway {stack.client_base_url})",
                  flush=True)
            target = pointed_at(target, stack)
            report = run(target, only=args.test, profiles=args.profile, progress=progress, deep=args.deep,
                         deep_progress=deep_progress)
    written = write_all(report, Path(args.report_dir))
    _summarise(report, written)
    return 1 if report.gate_failed(strict=args.strict) else 0


def defects(args: argparse.Namespace) -> int:
    for name, description in DEFECTS.items():
        print(f"{name}\t{description}")
    return 0


def features(args: argparse.Namespace) -> int:
    for profile in PROFILES:
        print(f"{profile.name} ({profile.api} API): {profile.description}")
        for feature in profile.features:
            tests = [test.id for test in TESTS.values() if test.features[-1] == feature or
                     test.features[0] == feature]
            print(f"  {feature.value:<22} {len(tests)} tests")
    print("\nquirks (legal variations the reference can show): " + ", ".join(QUIRKS))
    return 0


def _selftest_line(row: SelfTestRow) -> None:
    verdict = "ok  " if row.ok else "MISS"
    if row.expected:
        detail = "caught by " + ", ".join(row.expected) if row.ok else "not caught by " + ", ".join(row.missed)
    else:
        detail = "no check failed" if row.ok else "false failures: " + ", ".join(sorted(row.failed_checks))
    print(f"{verdict}  {row.name:<40} {row.report.duration_s:5.1f}s  {detail}", flush=True)


def selftest(args: argparse.Namespace) -> int:
    unknown = sorted(set(args.defect) - set(DEFECTS))
    if unknown:
        raise UsageError(f"unknown defects {unknown}; see `aigw defects`")
    target = load_target(REFERENCE_TARGET)
    if args.examples is not None:
        target = target.with_overrides(examples=args.examples)
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    rows = run_selftest(target, defects=args.defect or None, progress=_selftest_line, jobs=args.jobs)
    caught, total = mutation_score(rows)
    clean_ok = all(row.ok for row in rows if not row.expected)
    print(f"\nmutation score: {caught}/{total} defects caught; clean and quirky reference "
          f"{'pass every check' if clean_ok else 'FAIL some checks'}")
    if args.report_dir:
        directory = Path(args.report_dir)
        directory.mkdir(parents=True, exist_ok=True)
        lines = ["# Defect self-test", "", f"Mutation score: **{caught}/{total}**", "",
                 "| run | expected to fail | verdict | other failing checks |", "|---|---|---|---|"]
        for row in rows:
            extra = sorted(row.failed_checks - set(row.expected))
            lines.append(f"| {row.name} | {', '.join(row.expected) or '(none)'} | "
                         f"{'ok' if row.ok else 'MISSED'} | {', '.join(extra)} |")
        (directory / "selftest.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0 if caught == total and clean_ok else 1
