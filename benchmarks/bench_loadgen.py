"""The load generator's own ceiling: requests/s and streamed tokens/s locust drives against the OpenAI mock
(a separate process), with 1, 2 and 4 workers, per worker and per CPU-second of the load generator's processes."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aigw_conformance.suites.load import launch, summary  # noqa: E402
from aigw_conformance.suites.load.samples import read_samples  # noqa: E402


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loadgen_cpu(exclude: int) -> float:
    """CPU time so far of this process's children (the locust processes), except the mock."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and int(stat.parent.name) != exclude:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def start_mock(port: int) -> subprocess.Popen[bytes]:
    mock = subprocess.Popen([sys.executable, "-m", "aigw_conformance", "mocks", "serve", "--provider", "openai",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return mock
        except OSError:
            time.sleep(0.2)
    mock.terminate()
    raise SystemExit("the mock did not start")


def one(base: str, workers: int, users: int, seconds: int, tokens: int, out: Path, kind: str,
        mock: int) -> dict[str, Any]:
    """One run; CPU and requests are counted over a window inside it (from 1 s after the first request to 1 s
    before the end), so start-up and shutdown of the processes are not counted."""
    run = launch.LoadRun(host=base, profile=kind, report_dir=out, run_id=f"bench-{workers}", duration_s=seconds,
                         users=users, token="sk-bench", max_tokens=tokens, workers=workers if workers > 1 else 0,
                         extra=("--output-tokens", str(tokens)))
    done: list[int | None] = []
    thread = threading.Thread(target=lambda: done.append(launch.execute(run)[0]))
    thread.start()
    deadline = time.monotonic() + 60
    while not any(p.stat().st_size for p in out.glob("samples-*.jsonl")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)
    window = max(1.0, seconds - 3.0)
    cpu0, mock0, wall0, t0 = loadgen_cpu(mock), cpu_seconds(mock), time.monotonic(), time.time()
    time.sleep(window)
    cpu1, mock1, wall1, t1 = loadgen_cpu(mock), cpu_seconds(mock), time.monotonic(), time.time()
    thread.join()
    result = summary.build([out], out, run_id=run.run_id)
    inside = [s for s in read_samples([out], run.run_id) if t0 <= s.t + s.e2e_ms / 1000 < t1]
    wall = wall1 - wall0
    return {"kind": kind, "workers": workers, "users": users, "exit": done[0] if done else None,
            "requests": len(inside), "errors": sum(not s.ok for s in inside), "req_per_s": len(inside) / wall,
            "tokens_per_s": sum(s.output_tokens or 0 for s in inside) / wall, "loadgen_cpu_s": cpu1 - cpu0,
            "wall_s": wall, "mock_busy": (mock1 - mock0) / wall, "ttft_p50": result["ttft_ms"]["p50"],
            "e2e_p99": result["e2e_ms"]["p99"], "run_requests": result["requests"]}


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", default="1,2,4", help="worker counts (default 1,2,4; 1 is a single process)")
    parser.add_argument("--seconds", type=int, default=10, help="seconds per run (default 10; measured: all but "
                        "the first and the last ~1.5 s)")
    parser.add_argument("--users", type=int, default=32, help="users per worker, back to back (default 32)")
    parser.add_argument("--tokens", type=int, default=64, help="output tokens per request, exact (default 64)")
    parser.add_argument("--kind", default="chat-stream", choices=("chat-stream", "chat"))
    parser.add_argument("--port", type=int, default=0, help="the mock's port (default: a free one)")
    args = parser.parse_args()
    port = args.port or launch.free_port()
    mock = start_mock(port)
    print(f"load average before: {os.getloadavg()[0]:.2f}; mock pid {mock.pid}; {args.kind}, {args.tokens} tokens")
    rows = []
    try:
        for workers in (int(w) for w in args.workers.split(",")):
            with TemporaryDirectory() as tmp:
                row = one(f"http://127.0.0.1:{port}/v1", workers, args.users * workers, args.seconds, args.tokens,
                          Path(tmp), args.kind, mock.pid)
                rows.append(row)
                print(json.dumps(row))
    finally:
        mock.terminate()
        mock.wait(timeout=10)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print("| workers | users | requests | errors | req/s | req/s per worker | tokens/s | req per loadgen CPU-s "
          "| loadgen busy | mock busy | TTFT p50 ms | E2E p99 ms |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['workers']} | {r['users']} | {r['requests']:,} | {r['errors']} | {r['req_per_s']:,.0f} | "
              f"{r['req_per_s'] / r['workers']:,.0f} | {r['tokens_per_s']:,.0f} | "
              f"{r['requests'] / r['loadgen_cpu_s']:,.0f} | {r['loadgen_cpu_s'] / r['wall_s']:.0%} | "
              f"{r['mock_busy']:.0%} | {ms(r['ttft_p50'])} | {ms(r['e2e_p99'])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
