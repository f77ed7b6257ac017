"""Run with `locust -f suites/load/locustfile.py --headless --host BASE_URL --load-profile chat-stream ...`."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, cast

from locust import events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from aigw_conformance.suites.load import slo, summary, users
from aigw_conformance.suites.load.samples import find_files
from aigw_conformance.suites.load.users import LoadUser

__all__ = ["LoadUser"]


def _arguments(parser: Any, **_: Any) -> None:
    users.add_arguments(parser)


def _check_options(environment: Environment, **_: Any) -> None:
    """Fail fast (exit 2) on a headless run without a target or with an invalid thresholds file."""
    options = environment.parsed_options
    if options is None or isinstance(environment.runner, WorkerRunner):
        return
    problem = "--host (the target's base URL, e.g. http://127.0.0.1:8080/v1) is required" if (
        options.headless and not options.host) else None
    try:
        if options.thresholds:
            slo.load(options.thresholds)
    except ValueError as exc:
        problem = str(exc)
    if problem:
        print(f"aigw load: {problem}", file=sys.stderr)
        sys.exit(slo.EXIT_USAGE)


def _test_start(environment: Environment, **_: Any) -> None:
    if not isinstance(environment.runner, MasterRunner):
        users.start(environment)


def _test_stopping(**_: Any) -> None:
    users.stopping()


def _test_stop(**_: Any) -> None:
    users.stop()


def _wait_for_workers(directory: str, run_id: str, limit_s: float) -> None:
    """A master quits while its workers finish their last requests: wait until their files stop growing."""
    deadline, sizes = time.monotonic() + limit_s, None
    while time.monotonic() < deadline:
        now = {p: p.stat().st_size for p in find_files([directory], run_id)}
        if now == sizes:
            return
        sizes = now
        time.sleep(0.5)


def _summarize(environment: Environment, **_: Any) -> None:
    options = environment.parsed_options
    if options is None or options.no_summary or isinstance(environment.runner, WorkerRunner):
        return
    if isinstance(environment.runner, MasterRunner):
        _wait_for_workers(options.report_dir, options.run_id, (options.stop_timeout or 0) + 2)
    thresholds = slo.load(options.thresholds) if options.thresholds else None
    meta = {"profile": options.load_profile, "target": options.host, "run_id": options.run_id}
    result = summary.build([options.report_dir], options.report_dir, run_id=options.run_id,
                           target_rate=options.rate or None, thresholds=thresholds, meta=meta)
    print(summary.render(result), file=sys.stderr)
    environment.process_exit_code = summary.exit_code(result)


def _listen(hook: Any, listener: Callable[..., None]) -> None:
    register = cast(Callable[[Callable[..., None]], object], hook.add_listener)  # locust leaves it untyped
    register(listener)


_listen(events.init_command_line_parser, _arguments)
_listen(events.init, _check_options)
_listen(events.test_start, _test_start)
_listen(events.test_stopping, _test_stopping)
_listen(events.test_stop, _test_stop)
_listen(events.quitting, _summarize)
