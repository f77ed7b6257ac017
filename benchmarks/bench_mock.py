"""Requests/s of one OpenAI mock worker against a bare ASGI hello-world ceiling, and its stream tokens/s."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
CHAT = {"model": "gpt-5", "messages": [{"role": "system", "content": "You are a SOC assistant."},
                                       {"role": "user", "content": "What is XDR in cybersecurity?"}]}
TOKEN_MARK = b'"delta":{"content":"'


async def hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The ceiling: the least an ASGI app can do for a request on the same uvicorn (a POST's body is read)."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["method"] == "POST":
        while (await receive()).get("more_body"):
            pass
    body = b'{"hello":"world"}'
    await send({"type": "http.response.start", "status": 200, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def serve(app_name: str, port: int) -> None:
    """One uvicorn worker (one process, asyncio loop, h11: the stack `aigw mocks serve` runs), the same for
    the ceiling and the mock."""
    import uvicorn

    sys.path.insert(0, str(ROOT))
    from mocks.openai.app import create_app

    app = hello if app_name == "hello" else create_app()
    uvicorn.run(app, host=HOST, port=port, log_level="warning", access_log=False, lifespan="on")


def request_bytes(path: str, body: Any | None) -> bytes:
    head = f"{'POST' if body is not None else 'GET'} {path} HTTP/1.1\r\nhost: {HOST}\r\n"
    head += "authorization: Bearer bench\r\n"
    if body is None:
        return (head + "\r\n").encode()
    data = json.dumps(body).encode()
    return (head + f"content-type: application/json\r\ncontent-length: {len(data)}\r\n\r\n").encode() + data


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 response: (status, body), body de-chunked."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if "content-length" in headers:
        return status, await reader.readexactly(int(headers["content-length"]))
    parts: list[bytes] = []
    while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
        parts.append(await reader.readexactly(size + 2))
    await reader.readuntil(b"\r\n")
    return status, b"".join(p[:-2] for p in parts)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def numbered(body: Any, number: int) -> Any:
    """`body` with its last message's text made unique: `<text> (request N)`."""
    messages = [*body["messages"][:-1], {**body["messages"][-1]}]
    messages[-1]["content"] = f"{messages[-1]['content']} (request {number})"
    return {**body, "messages": messages}


async def load(
    port: int, path: str, body: Any | None, connections: int, seconds: float, limit: int, server_pid: int,
    distinct: bool = False,
) -> dict[str, Any]:
    """`connections` keep-alive connections, each sending the same request back to back (`distinct`: each
    request a new prompt, see `numbered`), for `seconds` after a 1 s warm-up, or until `limit` requests
    completed; also the server's CPU time meanwhile."""
    request = request_bytes(path, body)
    counts = {"requests": 0, "errors": 0, "tokens": 0, "sent": 0}
    measuring = False

    async def worker(stop_at: float) -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while time.perf_counter() < stop_at and counts["requests"] < limit:
            counts["sent"] += 1
            writer.write(request_bytes(path, numbered(body, counts["sent"])) if distinct else request)
            status, data = await read_response(reader)
            if measuring:
                counts["requests"] += 1
                counts["errors"] += status != 200
                counts["tokens"] += data.count(TOKEN_MARK)
        writer.close()

    start = time.perf_counter()
    tasks = [asyncio.create_task(worker(start + 1 + seconds)) for _ in range(connections)]
    await asyncio.sleep(1)
    measuring, began, cpu = True, time.perf_counter(), cpu_seconds(server_pid)
    await asyncio.gather(*tasks)
    elapsed, cpu = time.perf_counter() - began, cpu_seconds(server_pid) - cpu
    del counts["sent"]
    return {**counts, "seconds": round(elapsed, 2), "cpu_s": round(cpu, 2), "rps": counts["requests"] / elapsed,
            "tps": counts["tokens"] / elapsed, "per_cpu_s": counts["requests"] / cpu if cpu else 0.0}


def _pin(process: subprocess.Popen[bytes] | None, cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(process.pid if process else 0, {cpu})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def measure(app_name: str, path: str, body: Any | None, distinct: bool, args: argparse.Namespace) -> dict[str, Any]:
    """Start the server process, warm it up, run the load process against it, stop the server."""
    port = _free_port()
    server = subprocess.Popen([sys.executable, __file__, "serve", app_name, str(port)])
    try:
        if args.pin:
            _pin(server, 0)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"{app_name} server did not start") from None
                time.sleep(0.1)
        warm = request_bytes(path, body)  # the first request loads the tokenizer's vocabulary: not measured
        with socket.create_connection((HOST, port), timeout=60) as sock:
            sock.sendall(warm.replace(b"HTTP/1.1\r\n", b"HTTP/1.1\r\nconnection: close\r\n", 1))
            while sock.recv(65536):
                pass
        command = [sys.executable, __file__, "load", str(port), path, json.dumps(body), str(args.connections),
                   str(args.seconds), str(args.max_requests), str(server.pid), "pin" if args.pin else "-",
                   "distinct" if distinct else "same"]
        out = subprocess.run(command, capture_output=True, text=True, timeout=args.seconds + 60, check=True)
        result: dict[str, Any] = json.loads(out.stdout)
        return result
    finally:
        server.terminate()
        server.wait(timeout=15)


GET_CEILING = "ceiling: hello, GET /"
POST_CEILING = "ceiling: hello, POST of the chat body"
RUNS = [  # label, app, path, body, distinct prompts, the ceiling answering the same request
    (GET_CEILING, "hello", "/", None, False, GET_CEILING),
    (POST_CEILING, "hello", "/v1/chat/completions", CHAT, False, POST_CEILING),
    ("mock: GET /v1/models", "mock", "/v1/models", None, False, GET_CEILING),
    ("mock: chat, non-stream", "mock", "/v1/chat/completions", CHAT, False, POST_CEILING),
    ("mock: chat, stream", "mock", "/v1/chat/completions", {**CHAT, "stream": True}, False, POST_CEILING),
    ("mock: chat, non-stream, distinct prompts", "mock", "/v1/chat/completions", CHAT, True, POST_CEILING),
]


def _median_ratio(rounds: list[dict[str, dict[str, Any]]], label: str, ceiling: str, key: str) -> float:
    return float(statistics.median(r[label][key] / r[ceiling][key] for r in rounds))


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "load":
        port, path, body, conns, seconds, limit, pid, pin, distinct = sys.argv[2:11]
        if pin == "pin":
            _pin(None, 1)
        result = load(int(port), path, json.loads(body), int(conns), float(seconds), int(limit), int(pid),
                      distinct == "distinct")
        print(json.dumps(asyncio.run(result)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds per run (default 10)")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds; medians are shown (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent keep-alive connections (16)")
    parser.add_argument("--max-requests", type=int, default=500_000, help="stop a run after this many")
    parser.add_argument("--pin", action="store_true", help="server on CPU 0, load on CPU 1 (quiet machines)")
    parser.add_argument("--only", action="append", metavar="TEXT",
                        help="only the mock runs whose label contains TEXT (repeatable; the ceilings always run)")
    args = parser.parse_args()
    runs = [r for r in RUNS if r[1] == "hello" or not args.only or any(t in r[0] for t in args.only)]
    print(f"# {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"{args.connections} connections, {args.seconds:g} s x {args.repeat} interleaved rounds per run")
    rounds: list[dict[str, dict[str, Any]]] = []
    for number in range(args.repeat):
        rounds.append({label: measure(app, path, body, distinct, args) for label, app, path, body, distinct, _ in runs})
        summary = ", ".join(f"{label.split(': ')[1]} {r['rps']:,.0f}" for label, r in rounds[-1].items())
        print(f"# round {number + 1}: req/s {summary}", file=sys.stderr, flush=True)
    print("| run | req/s | req per server CPU-s | tokens/s | x GET / ceiling (req/s) "
          "| x same-request ceiling (req/s) | x same-request ceiling (per CPU-s) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, *_, ceiling in runs:
        rps = statistics.median(r[label]["rps"] for r in rounds)
        cpu = statistics.median(r[label]["per_cpu_s"] for r in rounds)
        tps = statistics.median(r[label]["tps"] for r in rounds)
        print(f"| {label} | {rps:,.0f} | {cpu:,.0f} | {f'{tps:,.0f}' if tps else '-'} "
              f"| {_median_ratio(rounds, label, GET_CEILING, 'rps'):.2f} "
              f"| {_median_ratio(rounds, label, ceiling, 'rps'):.2f} "
              f"| {_median_ratio(rounds, label, ceiling, 'per_cpu_s'):.2f} |")
    errors = sum(r[label]["errors"] for r in rounds for label, *_ in runs)
    print(f"\nnon-200 responses: {errors}; each ratio is the median over rounds of the run / that round's "
          "ceiling; the same-request ceiling is hello answering the same request (GET / for GET runs, the "
          "chat body POSTed for chat runs)")
    for label, *_ in runs:
        print(f"- {label}: req/s by round " + " / ".join(f"{r[label]['rps']:,.0f}" for r in rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
