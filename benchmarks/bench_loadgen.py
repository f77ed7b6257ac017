"""The load generator's own ceiling: requests/s and streamed tokens/s locust drives against the OpenAI mock,
with 1, 2 and 4 workers, and per worker and per CPU-second of the load generator."""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aigw_conformance.suites.load import launch, summary  # noqa: E402


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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


def one(base: str, workers: int, users: int, seconds: int, tokens: int, out: Path, kind: str) -> dict[str, Any]:
    run = launch.LoadRun(host=base, profile=kind, report_dir=out, run_id=f"bench-{workers}", duration_s=seconds,
                         users=users, token="sk-bench", max_tokens=tokens, workers=workers if workers > 1 else 0,
                         extra=("--output-tokens", str(tokens)))
    before, started = children_cpu(), time.monotonic()
    code, _ = launch.execute(run)
    wall, cpu = time.monotonic() - started, children_cpu() - before
    result = summary.build([out], out, run_id=run.run_id)
    duration = result["duration_s"] or seconds
    return {"kind": kind, "workers": workers, "users": users, "exit": code, "requests": result["requests"],
            "errors": result["errors"], "req_per_s": result["requests"] / duration,
            "tokens_per_s": result["output_tokens"] / duration, "loadgen_cpu_s": cpu, "wall_s": wall,
            "ttft_p50": result["ttft_ms"]["p50"], "e2e_p99": result["e2e_ms"]["p99"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", default="1,2,4", help="worker counts (default 1,2,4; 1 is a single process)")
    parser.add_argument("--seconds", type=int, default=10, help="seconds per run (default 10)")
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
                mock_before = cpu_seconds(mock.pid)
                row = one(f"http://127.0.0.1:{port}/v1", workers, args.users * workers, args.seconds, args.tokens,
                          Path(tmp), args.kind)
                row["mock_busy"] = (cpu_seconds(mock.pid) - mock_before) / row["wall_s"]
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
              f"{r['mock_busy']:.0%} | {r['ttft_p50']:.1f} | {r['e2e_p99']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
