"""Start locust in its own processes (one, or a master and N workers on loopback), bounded in time."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
STARTUP_GRACE_S = 30.0
TOKEN_ENV = "AIGW_LOAD_TOKEN"  # the token travels in the environment, never on a command line
HEADERS_ENV = "AIGW_LOAD_HEADERS"  # so do the extra headers (`aigw load --header`), as a JSON object


@dataclass(frozen=True)
class LoadRun:
    """One headless locust run; `workers` > 0 runs a master and that many workers on 127.0.0.1."""

    host: str
    profile: str
    report_dir: Path
    run_id: str
    duration_s: float
    users: int
    rate: float = 0.0
    token: str = ""
    model: str = "gpt-5-mini"
    embedding_model: str = "text-embedding-3-small"
    mix: str = ""
    max_tokens: int = 64
    seed: int = 0
    mock_ttft_ms: int | None = None
    mock_itl_ms: int | None = None
    request_timeout_s: float = 60.0
    stop_timeout_s: float = 5.0
    workers: int = 0
    extra: tuple[str, ...] = field(default=())
    headers: tuple[tuple[str, str], ...] = ()  # sent on every request (routing headers: `--header`)

    def options(self) -> list[str]:
        """Our locustfile's options (a master forwards them to its workers)."""
        args = [
            "--load-profile", self.profile, "--rate", str(self.rate), "--model", self.model,
            "--embedding-model", self.embedding_model, "--max-tokens", str(self.max_tokens), "--seed", str(self.seed),
            "--request-timeout", str(self.request_timeout_s), "--report-dir", str(self.report_dir.resolve()),
            "--run-id", self.run_id, "--no-summary",
        ]
        if self.mix:
            args += ["--mix", self.mix]
        if self.mock_ttft_ms is not None:
            args += ["--mock-ttft-ms", str(self.mock_ttft_ms)]
        if self.mock_itl_ms is not None:
            args += ["--mock-itl-ms", str(self.mock_itl_ms)]
        return args

    def main_command(self, master_port: int | None = None) -> list[str]:
        out = self.report_dir.resolve()
        command = [
            sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", self.host,
            "--users", str(self.users), "--spawn-rate", str(self.users), "--run-time", f"{self.duration_s:g}s",
            "--stop-timeout", f"{self.stop_timeout_s:g}", "--csv", str(out / "locust"), "--html",
            str(out / "locust.html"), "--only-summary", "--loglevel", "WARNING", *self.options(), *self.extra,
        ]
        if master_port is not None:
            command += ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(master_port),
                        "--expect-workers", str(self.workers), "--expect-workers-max-wait", f"{STARTUP_GRACE_S:g}"]
        return command

    def worker_command(self, master_port: int) -> list[str]:
        return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker", "--master-host", "127.0.0.1",
                "--master-port", str(master_port), "--loglevel", "WARNING"]

    @property
    def time_limit_s(self) -> float:
        """The hard limit: the run, the stop timeout, and start-up; past it every process is killed."""
        return self.duration_s + self.stop_timeout_s + STARTUP_GRACE_S + (STARTUP_GRACE_S if self.workers else 0)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    """Signal the process group our child leads (it was started in a session of its own), so nothing it started
    keeps sending; only while the child is unreaped, so its ID cannot have been reused."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def _end(process: subprocess.Popen[bytes]) -> None:
    """Stop one process we started and its group (SIGTERM, then SIGKILL)."""
    if process.poll() is None:
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait(timeout=5)


def stop_early(process: subprocess.Popen[bytes]) -> None:
    """Ask a running locust (the main process `execute` passed to `on_start`) to stop now, as at its run time's end:
    SIGTERM, on which locust stops its users and quits (its samples are written line by line)."""
    if process.poll() is None:
        _signal_group(process, signal.SIGTERM)


def execute(run: LoadRun, on_start: Callable[[subprocess.Popen[bytes]], None] | None = None
            ) -> tuple[int | None, list[Path]]:
    """Run it; returns the main (or master) process's exit code, None if it was killed at the time limit,
    and the log files (`locust-main.log`, `locust-worker-N.log` in the report directory). `on_start` gets the
    main process once started (for `stop_early`)."""
    run.report_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, TOKEN_ENV: run.token, HEADERS_ENV: json.dumps(dict(run.headers)), "PYTHONUNBUFFERED": "1"}
    port = free_port() if run.workers else None
    logs = [run.report_dir / "locust-main.log"]
    logs += [run.report_dir / f"locust-worker-{i}.log" for i in range(run.workers)]
    commands = [run.main_command(port)]
    if port is not None:
        commands += [run.worker_command(port) for _ in range(run.workers)]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for command, log in zip(commands, logs, strict=True):
            with log.open("wb") as sink:
                processes.append(subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env,
                                                  stdin=subprocess.DEVNULL, start_new_session=True))
        if on_start is not None:
            on_start(processes[0])
        deadline = time.monotonic() + run.time_limit_s
        try:
            code: int | None = processes[0].wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            code = None
        for worker in processes[1:]:  # workers quit with their master; give them the stop timeout
            try:
                worker.wait(timeout=run.stop_timeout_s + 5)
            except subprocess.TimeoutExpired:
                _end(worker)
    finally:
        for process in processes:
            _end(process)
    return code, logs


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
