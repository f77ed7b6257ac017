"""Denial-of-service probes of `aigw serve`: slow unauthenticated connections, and unauthenticated large bodies.

Each run starts `aigw serve --port 0` in its own process (or uses --url), attacks it, and prints what the good
callers got. It is a measurement, not a test: the regression tests are tests/reference/test_server_guard.py and
tests/reference/test_auth_before_body.py.

    python benchmarks/dos_probe.py slow --connections 1100 --requests 70 --server-nofile 1024
    python benchmarks/dos_probe.py large-body --megabytes 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

CHAT = {"model": "gpt-5-mini", "messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 8}
CLIENT_CHAT = {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}


def start_serve(extra: list[str], nofile: int | None) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """`aigw serve --port 0` in its own process (its open-file limit `nofile`, soft and hard, when given); its
    printed lines as {label: first word after it}."""
    command = [sys.executable, "-m", "aigw_conformance", "serve", "--port", "0", *extra]

    def limit() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"}, preexec_fn=limit)
    assert process.stdout is not None
    printed: dict[str, str] = {}
    for line in process.stdout:
        if "Ctrl-C" in line:
            return process, printed
        label, _, rest = line.partition("  ")
        if rest.strip():
            printed[label.strip()] = rest.split()[0]
    raise SystemExit(f"aigw serve exited early ({process.wait()})")


async def slow_connection(host: str, port: int, path: str, hold: asyncio.Event) -> bool:
    """A connection that sends a request head one header at a time, never finishing it, until `hold` is set."""
    try:
        _, writer = await asyncio.open_connection(host, port)
    except OSError:
        return False
    try:
        writer.write(f"POST {path} HTTP/1.1\r\nHost: {host}\r\n".encode())
        while not hold.is_set():
            await asyncio.wait([asyncio.ensure_future(hold.wait())], timeout=2.0)
            writer.write(b"X-Slow: 1\r\n")
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()
    return True


async def slow(args: argparse.Namespace, url: str, token: str) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    hold = asyncio.Event()
    slow_tasks = [asyncio.create_task(slow_connection(host, port, "/api/ai/v1/chat/completions", hold))
                  for _ in range(args.connections)]
    await asyncio.sleep(args.settle_s)  # every slow connection opened and its first bytes sent
    statuses: list[str] = []
    limits = httpx.Limits(max_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=url, headers={"authorization": f"Bearer {token}"},
                                 timeout=args.timeout_s, limits=limits, trust_env=False) as client:
        async def good() -> None:
            try:
                reply = await client.post("/api/ai/v1/chat/completions", json=CHAT)
                statuses.append(str(reply.status_code))
            except httpx.HTTPError as error:
                statuses.append(type(error).__name__)

        started = time.monotonic()
        await asyncio.gather(*(good() for _ in range(args.requests)))
        elapsed = time.monotonic() - started
    hold.set()
    opened = sum(await asyncio.gather(*slow_tasks))
    counts = {status: statuses.count(status) for status in sorted(set(statuses))}
    return {"slow_connections_opened": opened, "good_requests": args.requests, "ok": statuses.count("200"),
            "outcomes": counts, "seconds": round(elapsed, 2)}


async def early_answer(host: str, port: int, path: str, size: int, sent_first: int, wait_s: float) -> dict[str, Any]:
    """Send the head of an unauthenticated POST declaring `size` bytes and `sent_first` of them, then wait for an
    answer: one that comes is the server answering before the body was read."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {size}\r\n\r\n".encode() + b"[" * sent_first)
        await writer.drain()
        try:
            status_line = await asyncio.wait_for(reader.readline(), wait_s)
        except TimeoutError:
            return {"path": path, "answered_before_body_sent": False, "waited_s": wait_s}
        return {"path": path, "answered_before_body_sent": bool(status_line),
                "status": status_line.decode(errors="replace").strip(), "body_bytes_sent": sent_first,
                "of": size}
    finally:
        writer.close()


async def large_body(args: argparse.Namespace, url: str, client_token: str) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    size = args.megabytes * 1024 * 1024
    paths = ["/api/client/v1/chat/completions", "/api/ai/v1/chat/completions", "/api/ai/v1/embeddings",
             "/api/ai/v1/chat/count", "/api/ai/v1/audio/speech", "/api/ai/v1/audio/transcriptions",
             "/api/ai/v1/store/probe"]
    early = [await early_answer(host, port, path, size, 256 * 1024, args.timeout_s) for path in paths]
    # A whole unauthenticated body to the client gateway, while a good caller keeps asking: valid JSON of many
    # small values (the costliest to parse per byte).
    body = json.dumps({**CLIENT_CHAT, "pad": [0] * (size // 2)}, separators=(",", ":"))
    latencies: list[float] = []
    done = asyncio.Event()
    async with httpx.AsyncClient(base_url=url, timeout=60, trust_env=False) as client:
        async def caller() -> None:
            while not done.is_set():
                started = time.monotonic()
                await client.post("/api/client/v1/chat/completions", json=CLIENT_CHAT,
                                  headers={"authorization": f"Bearer {client_token}"})
                latencies.append(time.monotonic() - started)

        for _ in range(3):  # warm: the first request pays for loading the validators and the tokenizer
            await client.post("/api/client/v1/chat/completions", json=CLIENT_CHAT,
                              headers={"authorization": f"Bearer {client_token}"})
        good = asyncio.create_task(caller())
        await asyncio.sleep(0.5)
        started = time.monotonic()
        async with httpx.AsyncClient(base_url=url, timeout=120, trust_env=False) as attacker:
            reply = await attacker.post("/api/client/v1/chat/completions", content=body.encode(),
                                        headers={"content-type": "application/json"})
        attack_s = time.monotonic() - started
        await asyncio.sleep(0.5)
        done.set()
        await good
    return {"early_answers": early, "full_body": {"bytes": len(body), "status": reply.status_code,
                                                  "answered_in_s": round(attack_s, 2)},
            "good_caller": {"requests": len(latencies), "max_latency_s": round(max(latencies), 3),
                            "median_latency_s": round(sorted(latencies)[len(latencies) // 2], 3)}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("probe", choices=["slow", "large-body"])
    parser.add_argument("--url", help="a running gateway's root (default: start `aigw serve --port 0`)")
    parser.add_argument("--token", default="dev-token")
    parser.add_argument("--client-token", default="cgt_dev-token")
    parser.add_argument("--serve-arg", action="append", default=[], help="passed to `aigw serve`")
    parser.add_argument("--server-nofile", type=int, help="the server process's open-file limit (ulimit -n)")
    parser.add_argument("--connections", type=int, default=1100)
    parser.add_argument("--requests", type=int, default=70)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--settle-s", type=float, default=3.0)
    parser.add_argument("--timeout-s", type=float, default=10.0)
    parser.add_argument("--megabytes", type=int, default=30)
    args = parser.parse_args()
    process = None
    url = args.url
    if url is None:
        process, printed = start_serve(args.serve_arg, args.server_nofile)
        url = printed["reference gateway"].removesuffix("/api/ai/v1")
    try:
        if args.probe == "slow":
            result = asyncio.run(slow(args, url, args.token))
        else:
            result = asyncio.run(large_body(args, url, args.client_token))
    finally:
        if process is not None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
