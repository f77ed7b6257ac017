"""The subcommands behind `aigw`: serve, check, defects, features, selftest."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aigw_conformance import exit_codes, serve_options, upstreams
from aigw_conformance.check_run import nothing_run, run_checks, selected_count
from aigw_conformance.interrupt import Abort, Interrupts
from aigw_conformance.mocks.reference.defects import CHAOS_CATCHES, DEFECTS, QUIRKS, RESILIENCE_DEFECTS
from aigw_conformance.mocks.reference.stack import ReferenceStack
from aigw_conformance.preflight import PreflightFailed, preflight, preflight_report
from aigw_conformance.reports.writers import write_all
from aigw_conformance.suites.conformance import TESTS
from aigw_conformance.suites.discovery import discover, live_target, with_discovered_models
from aigw_conformance.suites.exchange import Probe
from aigw_conformance.suites.features import PROFILES
from aigw_conformance.suites.headers import HeaderError, parse_header_lines
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
from aigw_conformance.terminal import Terminal


class UsageError(Exception):
    """A usage or configuration problem: exit code 2."""


class TargetDown(Exception):
    """The target does not answer at all: exit code 3."""


def _load(args: argparse.Namespace) -> Target:
    for flag, url in (("--base-url", args.base_url), ("--client-base-url", args.client_base_url)):
        if url is not None and not url.startswith(("http://", "https://")):
            raise UsageError(f"{flag} must be an http(s) URL, e.g. https://host/api/ai/v1, got {url!r}")
    live = not args.target and (args.base_url or args.client_base_url)  # never the reference's settings
    try:
        target = live_target(args.base_url or args.client_base_url) if live else load_target(
            Path(args.target) if args.target else REFERENCE_TARGET)
    except TargetError as error:
        raise UsageError(str(error)) from error
    if (args.api_key is None) != (args.api_secret is None):
        raise UsageError("--api-key and --api-secret go together")
    if getattr(args, "examples", None) is not None and args.examples < 1:
        raise UsageError("--examples must be at least 1")
    if getattr(args, "timeout_s", None) is not None and not 0 < args.timeout_s < float("inf"):
        raise UsageError(f"--timeout must be a positive number of seconds, got {args.timeout_s}")
    try:
        headers = parse_header_lines(getattr(args, "header", None) or [])
    except HeaderError as error:
        raise UsageError(str(error)) from error
    target = _with_deep_bounds(target, args).with_overrides(
        base_url=args.base_url, client_base_url=args.client_base_url, model=args.model, headers=headers or None,
        name=getattr(args, "name", None), examples=getattr(args, "examples", None),
        timeout_s=getattr(args, "timeout_s", None),
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
    try:
        credentials = serve_options.credentials(args)
        limits, body_limit = serve_options.server_limits(args)
    except ValueError as error:
        raise UsageError(str(error)) from error
    dev = args.dev_credentials or not credentials
    credentials.update(body_limit)
    serve_options.raise_open_file_limit(limits)
    if args.upstream_timeout is not None:
        if not 0 < args.upstream_timeout < float("inf"):
            raise UsageError(f"--upstream-timeout must be a positive number of seconds, got {args.upstream_timeout}")
        credentials["upstream_timeout_s"] = args.upstream_timeout
    if args.store is not None:
        if not args.store.strip():
            raise UsageError("--store names no file")
        credentials["store_url"] = args.store
    try:
        provider_urls = upstreams.provider_urls(args.provider_url)
        provider_keys = upstreams.provider_keys(args.provider_key, provider_urls)
    except ValueError as error:
        raise UsageError(str(error)) from error
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        stack = _stack(args.defect, args.quirk, port=args.port, provider_urls=provider_urls, test_hooks=args.test_hooks,
                       provider_keys={name: key for name, (key, _) in provider_keys.items()}, server_limits=limits,
                       **credentials)
        stack.start()
    except OSError as error:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.port}: {error}") from error
    try:
        print(f"reference gateway  {stack.base_url}")
        print(f"mock provider      {stack.mock_base_url}   (/__mock__/*: unauthenticated test control)")
        for name, url in provider_urls.items():
            key_from = provider_keys[name][1] if name in provider_keys else "the mocks' key"
            print(f"{name + ' upstream':<19}{url}   (--provider-url: instead of the mock; key: {key_from})")
        print(f"client gateway     {stack.client_base_url}")
        print("\n".join([*serve_options.credential_lines(stack, dev),
                         *serve_options.limit_lines(limits, stack.settings.max_body_bytes)]))
        print(f"data store         {args.store or 'in memory (lost at exit; --store PATH keeps it)'}")
        print(f"test hooks         {'on (x-mock-*, x-aigw-test-output-pii)' if args.test_hooks else 'off'}")
        if args.defect or args.quirk:
            print(f"defects / quirks   {', '.join(args.defect) or '-'} / {', '.join(args.quirk) or '-'}")
        print("press Ctrl-C to stop", flush=True)
        stop.wait()
    finally:
        stack.stop()
    return 0


def _preflight(target: Target, report_dir: Path, started_at: str) -> None:
    """Stop before the run when it cannot be meaningful (exit 3: unreachable, 2: not the API, credentials
    refused), writing the reports with the reason; print what is worth knowing otherwise."""
    try:
        notes = preflight(target)
    except PreflightFailed as failed:
        written = write_all(preflight_report(target, str(failed), started_at), report_dir)
        print(f"reports   {written['junit'].parent} (preflight failed)", file=sys.stderr)
        raise (TargetDown if failed.exit_code == 3 else UsageError)(str(failed)) from failed
    for note in notes:
        print(f"note: {note}", flush=True)


def _discovered(target: Target) -> Target:
    probe = Probe(timeout_s=target.timeout_s, extra_headers=dict(target.headers))
    try:
        catalogue = discover(probe, target)
    finally:
        probe.close()
    if catalogue.models is None:
        if not target.models.get("chat"):
            raise UsageError(f"no model catalogue to discover models from ({catalogue.evidence}): give --model, "
                             "or write a target file (aigw init)")
        print(f"note: {catalogue.evidence}; every model test uses --model {target.models['chat']}", flush=True)
    else:
        print(f"note: models discovered ({catalogue.evidence})", flush=True)
    return with_discovered_models(target, catalogue)


def writable_dir(path: str, flag: str = "--report-dir") -> Path:
    """`path` created and proven writable before anything runs, so a run's results cannot be lost at its end."""
    directory = Path(path)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".aigw-write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise UsageError(f"{flag} {path} is not a writable directory: {error.strerror or error}") from error
    return directory


def check(args: argparse.Namespace) -> int:
    target = _load(args)
    report_dir = writable_dir(args.report_dir)
    args.deep = args.deep or any(getattr(args, flag) is not None for flag in
                                 ("deep_requests", "deep_max_requests", "deep_budget_s", "deep_seed"))
    terminal = Terminal(quiet=args.quiet)
    interrupts = Interrupts(graceful=True, on_request=lambda: terminal.notice(
        "stopping after the current test; the partial report will be written (Ctrl-C again: stop it now)"))
    if args.max_run_s is not None and not 0 < args.max_run_s < float("inf"):
        raise UsageError(f"--max-run-s must be a positive number of seconds, got {args.max_run_s}")
    options = {"tests": args.test, "profiles": args.profile, "deep": args.deep, "exitfirst": args.exitfirst,
               "max_run_s": args.max_run_s}
    with interrupts.armed():
        try:
            if target.base_url or target.client_base_url:
                if args.defect or args.quirk:
                    raise UsageError("--defect and --quirk apply only when aigw starts the reference (no --base-url)")
                selected_count(args.test, args.profile, args.deep)
                _preflight(target, report_dir, datetime.now(UTC).isoformat(timespec="seconds"))
                if not args.target and target.base_url:  # a live AI API, no target file: models from its catalogue
                    target = _discovered(target)
                report = run_checks(target, terminal, interrupts, **options)
            else:
                selected_count(args.test, args.profile, args.deep)
                with _reference_for(target, args.defect, args.quirk) as stack:
                    terminal.line(f"started the reference gateway at {stack.base_url} "
                                  f"(client gateway {stack.client_base_url})")
                    report = run_checks(pointed_at(target, stack), terminal, interrupts, **options)
        except Abort:  # stopped before the first test: an empty report that says so
            report = nothing_run(target)
        finally:
            interrupts.shielded = True  # from here on a signal must not cost the report
            terminal.close()
        terminal.summary(report, write_all(report, report_dir), strict=args.strict)
    if report.interrupted:
        return interrupts.code
    return exit_codes.FAILED if report.gate_failed(strict=args.strict) else exit_codes.OK


def defects(args: argparse.Namespace) -> int:
    for name, description in DEFECTS.items():
        print(f"{name}\t{description}")
    for name, description in RESILIENCE_DEFECTS.items():  # caught under load, not by a check
        print(f"{name}\t{description} (`aigw load chaos --scenario {CHAOS_CATCHES[name]} --defect {name}`)")
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
    if args.report_dir:
        writable_dir(args.report_dir)
    rows: list[SelfTestRow] = []

    def finished(row: SelfTestRow) -> None:
        rows.append(row)
        _selftest_line(row)

    interrupts = Interrupts(graceful=True, on_request=lambda: print(
        "stopping once the runs under way finish; the partial result will be written (Ctrl-C again: stop now)",
        file=sys.stderr, flush=True))
    with interrupts.armed():
        try:
            run_selftest(target, defects=args.defect or None, progress=finished, jobs=args.jobs,
                         should_stop=lambda: interrupts.requested)
        except Abort:
            pass  # the workers are stopped; the rows finished so far are the partial result
        finally:
            interrupts.shielded = True
    caught, total = mutation_score(rows)
    clean_ok = all(row.ok for row in rows if not row.expected)
    partial = f" (interrupted: {len(rows)} runs finished)" if interrupts.requested else ""
    print(f"\nmutation score: {caught}/{total} defects caught{partial}; clean and quirky reference "
          f"{'pass every check' if clean_ok else 'FAIL some checks'}")
    if args.report_dir:
        _write_selftest_md(Path(args.report_dir), rows, interrupted=interrupts.requested)
    if interrupts.requested:
        return interrupts.code
    return 0 if caught == total and clean_ok else 1


def _write_selftest_md(directory: Path, rows: list[SelfTestRow], *, interrupted: bool) -> None:
    caught, total = mutation_score(rows)
    directory.mkdir(parents=True, exist_ok=True)
    lines = ["# Defect self-test", ""]
    if interrupted:
        lines += [f"**Interrupted**: only the {len(rows)} runs below finished; the score is partial.", ""]
    lines += [f"Mutation score: **{caught}/{total}**", "",
              "| run | expected to fail | verdict | other failing checks |", "|---|---|---|---|"]
    for row in rows:
        extra = sorted(row.failed_checks - set(row.expected))
        lines.append(f"| {row.name} | {', '.join(row.expected) or '(none)'} | "
                     f"{'ok' if row.ok else 'MISSED'} | {', '.join(extra)} |")
    (directory / "selftest.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
