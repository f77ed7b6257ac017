"""Peak memory of the reference against hostile answers: a 1 GB provider body, a 1 MB gzip bomb, big journals.

Each case starts a fresh `aigw serve` (or `aigw mocks serve`) subprocess on 127.0.0.1, sends it one request (or a
bounded number), and reads the process's peak resident set (`VmHWM`, Linux) before and after. The provider is
`tests/reference/hostile_upstream.py` in this process. It is a benchmark, not a test: nothing asserts on its figures.

    python benchmarks/bench_answer_memory.py                   # body 1024 MiB, bomb of 1024 MiB, 200 journal posts
    python benchmarks/bench_answer_memory.py --mib 256 --posts 100
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reference"))
from hostile_upstream import COMPLETION, MIB, HostileProvider, gzipped, padded, whole

CHAT = {"model": "gpt-5-mini", "messages": [{"role": "user", "content": "hello"}]}


def peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM (Linux only)")


def started(argv: list[str]) -> tuple[subprocess.Popen[str], list[str]]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "aigw_conformance", *argv], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, env=env)
    assert process.stdout is not None
    lines: list[str] = []
    while not any("Ctrl-C" in line for line in lines):
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"{argv} ended early: {lines}")
        lines.append(line)
    return process, lines


def stopped(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    if process.stdout is not None:
        process.stdout.close()


def gateway_case(name: str, provider: HostileProvider) -> dict[str, object]:
    process, lines = started(["serve", "--port", "0", "--provider-url", f"openai={provider.url}",
                              "--upstream-timeout", "300"])
    try:
        base = next(line.split()[2] for line in lines if line.startswith("reference gateway"))
        before = peak_mib(process.pid)
        began = time.monotonic()
        reply = httpx.post(base + "/chat/completions", json=CHAT, headers={"authorization": "Bearer dev-token"},
                           timeout=600, trust_env=False)
        return {"case": name, "status": reply.status_code, "answer": reply.text[:160],
                "seconds": round(time.monotonic() - began, 1), "peak_rss_mib_before": round(before),
                "peak_rss_mib_after": round(peak_mib(process.pid))}
    finally:
        stopped(process)


def journal_case(posts: int) -> dict[str, object]:
    process, lines = started(["mocks", "serve", "--provider", "openai", "--port", "0"])
    try:
        root = next(line.split()[1] for line in lines if line.startswith("openai"))
        before = peak_mib(process.pid)
        with httpx.Client(timeout=60, trust_env=False) as http:
            for n in range(posts):
                http.post(root + "/v1/chat/completions", content=bytes([65 + n % 26]) * MIB,
                          headers={"authorization": "Bearer sk-mock", "content-type": "application/json"})
        return {"case": f"journal: {posts} requests of 1 MiB to one mock", "peak_rss_mib_before": round(before),
                "peak_rss_mib_after": round(peak_mib(process.pid))}
    finally:
        stopped(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mib", type=int, default=1024, help="the body's size, and what the bomb inflates to")
    parser.add_argument("--posts", type=int, default=200, help="1 MiB requests sent to one mock")
    args = parser.parse_args()
    size = args.mib * MIB
    results = []
    with HostileProvider() as provider:
        provider.answer = whole(padded(COMPLETION, size), len(json.dumps(COMPLETION)) + size)
        results.append(gateway_case(f"{args.mib} MiB body (Content-Length)", provider))
        provider.answer = whole(padded(COMPLETION, size), 0, chunked=True)
        results.append(gateway_case(f"{args.mib} MiB body (chunked)", provider))
        bomb = gzipped(padded(COMPLETION, size))
        provider.answer = whole(iter([bomb]), len(bomb), encoding="gzip")
        results.append(gateway_case(f"gzip bomb: {len(bomb) / MIB:.2f} MiB inflating to {args.mib} MiB", provider))
    results.append(journal_case(args.posts))
    for result in results:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
