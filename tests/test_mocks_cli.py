"""`aigw mocks list` and `aigw mocks serve` as a user runs them, the server in a subprocess."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from aigw_conformance.cli import main
from aigw_conformance.mocks import registry

BOUND_S = 20


def test_list_prints_every_provider_and_openai_is_available(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mocks", "list"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [row[0] for row in rows] == list(registry.PROVIDERS)
    assert rows[0][:2] == ["openai", "available"]
    assert all(row[1] == "available" or len(row) == 3 for row in rows)


def test_registry_skips_providers_that_fail_to_import() -> None:
    with pytest.raises(registry.ProviderUnavailable):
        registry.load("no-such-provider")
    found, missing = registry.survey()
    assert found[0].name == "openai" and {p.name for p in found}.isdisjoint(missing)
    assert set(registry.PROVIDERS) == {p.name for p in found} | set(missing)


@contextmanager
def serving(*args: str) -> Iterator[tuple[dict[str, str], subprocess.Popen[str]]]:
    """Start `aigw mocks serve ARGS`; yield the printed name -> URL lines once it is ready; stop it by PID."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen([sys.executable, "-m", "aigw_conformance", "mocks", "serve", *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=env) as process:
        lines: queue.Queue[str] = queue.Queue()
        assert process.stdout is not None
        stdout = process.stdout

        def read() -> None:
            for line in stdout:
                lines.put(line)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        printed: dict[str, str] = {}
        try:
            deadline = time.monotonic() + BOUND_S
            while "press" not in printed:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
                name, _, rest = line.strip().partition(" ")
                printed[name] = rest.strip()
            yield printed, process
        finally:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGTERM)
            code = process.wait(timeout=BOUND_S)
            reader.join(timeout=BOUND_S)
        assert code == 0, process.stderr.read() if process.stderr else ""


def test_serve_one_provider_with_a_default_latency_until_sigterm() -> None:
    with serving("--provider", "openai", "--port", "0", "--ttft-ms", "150", "--itl-ms", "1") as (printed, _):
        url = printed["openai"]
        assert url.startswith("http://127.0.0.1:") and "ttft 150 ms" in printed["latency"]
        defaults = httpx.get(f"{url}/__mock__/faults", timeout=5).json()["defaults"]
        assert defaults[0]["faults"] == [{"kind": "latency", "ttft_ms": 150, "itl_ms": 1}]
        body = {"model": "gpt-5", "messages": [{"role": "user", "content": "hi"}], "stream": True}
        started = time.perf_counter()
        reply = httpx.post(f"{url}/v1/chat/completions", json=body, headers={"authorization": "Bearer k"}, timeout=10)
        assert reply.status_code == 200 and reply.text.endswith("data: [DONE]\n\n")
        assert time.perf_counter() - started >= 0.15


def test_serve_all_on_consecutive_ports_and_stop_on_sigint() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    if port > 65000:
        port -= 1000
    with serving("--port", str(port)) as (printed, process):
        available = [p.name for p in registry.available()]
        assert [name for name in printed if name in registry.PROVIDERS] == available
        for provider in registry.available():
            assert printed[provider.name] == f"http://127.0.0.1:{port + provider.offset}"
        assert httpx.get(f"{printed['openai']}/__mock__/journal", timeout=5).json() == {"object": "list", "data": []}
        os.kill(process.pid, signal.SIGINT)
        assert process.wait(timeout=BOUND_S) == 0


def test_serve_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mocks", "serve", "--provider", "nope", "--port", "0"]) == 2
    assert "unknown provider" in capsys.readouterr().err
    assert main(["mocks", "serve", "--port", "0", "--ttft-ms", "-5"]) == 2
    assert main(["mocks", "serve", "--port", "70000"]) == 2
    with socket.socket() as busy:  # in a subprocess: ServerThread leaves a failed bind's socket to the GC
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        command = [sys.executable, "-m", "aigw_conformance", "mocks", "serve", "--port", str(busy.getsockname()[1])]
        done = subprocess.run(command, capture_output=True, text=True, timeout=BOUND_S, check=False)
    assert done.returncode == 2 and "cannot listen on 127.0.0.1" in done.stderr
