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
import threading
import time
from collections.abc import Callable
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
    """One server process on the stack `aigw mocks serve` and the tests run (`mocks.core.server.ServerThread`:
    uvicorn, `loop="auto"` and `http="auto"`, so uvloop and httptools when installed, access log off), the
    same for the ceiling and the mock; it serves until the process is terminated."""
    sys.path.insert(0, str(ROOT))
    from aigw_conformance.mocks.core.server import ServerThread
    from aigw_conformance.mocks.openai.app import create_app

    server = ServerThread(hello if app_name == "hello" else create_app(), port, name=f"bench-{app_name}")
    server.start()
    threading.Event().wait()


def stack() -> str:
    """What uvicorn picks for `loop="auto"` and `http="auto"` here (what `serve` runs on)."""
    import uvicorn

    try:
        import uvloop

        loop = f"uvloop {getattr(uvloop, '__version__', '?')}"
    except ImportError:
        loop = "asyncio"
    try:
        import httptools

        http = f"httptools {httptools.__version__}"
    except ImportError:
        http = "h11"
    return f"uvicorn {uvicorn.__version__}, {loop}, {http}"


def request_bytes(path: str, body: Any | None) -> bytes:
    head = f"{'POST' if body is not None else 'GET'} {path} HTTP/1.1\r\nhost: {HOST}\r\n"
    head += "authorization: Bearer bench\r\n"
    if body is None:
        return (head + "\r\n").encode()
    data = json.dumps(body).encode()
    return (head + f"content-type: application/json\r\ncontent-length: {len(data)}\r\n\r\n").encode() + data


class _Client(asyncio.Protocol):
    """One keep-alive connection sending requests back to back: the next is written as soon as the last
    response is complete. A bare protocol (no stream reader, no task per response), so that the load
    process stays cheaper per request than the server it measures."""

    def __init__(self, requests: Callable[[], bytes | None], done: Callable[[int, bytes], None],
                 closed: asyncio.Future[None]) -> None:
        self.requests, self.done, self.closed = requests, done, closed
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports do not subclass asyncio's
        self._next()

    def _next(self) -> None:
        assert self.transport is not None
        request = self.requests()
        if request is None:
            self.transport.close()
        else:
            self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (response := _split_response(self.buffer)) is not None:
            status, body, used = response
            del self.buffer[:used]
            self.done(status, body)
            self._next()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


def _split_response(buffer: bytearray) -> tuple[int, bytes, int] | None:
    """The first complete HTTP/1.1 response in `buffer`: (status, body de-chunked, bytes used), or None."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).lower()
    status, at = int(head[9:12]), end + 4
    length = head.find(b"\r\ncontent-length:")
    if length >= 0:
        line_end = head.find(b"\r\n", length + 2)
        size = int(head[length + 17:line_end if line_end >= 0 else len(head)])
        return (status, bytes(buffer[at:at + size]), at + size) if len(buffer) >= at + size else None
    parts: list[bytes] = []
    while (line := buffer.find(b"\r\n", at)) >= 0:
        size = int(buffer[at:line], 16)
        if len(buffer) < line + 2 + size + 2:
            return None
        if size == 0:
            return status, b"".join(parts), line + 4
        parts.append(bytes(buffer[line + 2:line + 2 + size]))
        at = line + 2 + size + 2
    return None


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
    completed; also the CPU time the server and this load process used meanwhile."""
    request = request_bytes(path, body)
    counts = {"requests": 0, "errors": 0, "tokens": 0, "sent": 0}
    measuring, stop_at = False, time.perf_counter() + 1 + seconds

    def next_request() -> bytes | None:
        if time.perf_counter() >= stop_at or counts["requests"] >= limit:
            return None
        counts["sent"] += 1
        return request_bytes(path, numbered(body, counts["sent"])) if distinct else request

    def done(status: int, data: bytes) -> None:
        if measuring:
            counts["requests"] += 1
            counts["errors"] += status != 200
            counts["tokens"] += data.count(TOKEN_MARK)

    loop = asyncio.get_running_loop()
    closed: list[asyncio.Future[None]] = []
    for _ in range(connections):
        closed.append(loop.create_future())
        transport, _ = await loop.create_connection(
            lambda: _Client(next_request, done, closed[-1]), HOST, port)
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    await asyncio.sleep(1)
    measuring, began = True, time.perf_counter()
    cpu, own = cpu_seconds(server_pid), time.process_time()
    await asyncio.gather(*closed)
    elapsed, cpu, own = time.perf_counter() - began, cpu_seconds(server_pid) - cpu, time.process_time() - own
    del counts["sent"]
    return {**counts, "seconds": round(elapsed, 2), "cpu_s": round(cpu, 2), "load_cpu_s": round(own, 2),
            "rps": counts["requests"] / elapsed, "tps": counts["tokens"] / elapsed,
            "per_cpu_s": counts["requests"] / cpu if cpu else 0.0}


def _fast_loop() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop for the load process when installed (it makes the load cheaper, not the server faster)."""
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


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


def app_time(requests: int, rounds: int) -> None:
    """Microseconds of app time per request, the app called in process over ASGI (no server, no socket):
    hello, then the mock's hot requests; interleaved rounds, medians. Steadier than the server runs on a
    busy machine, and it shows the app's own share of a request."""
    sys.path.insert(0, str(ROOT))
    from aigw_conformance.mocks.openai.app import create_app

    mock = create_app()
    cases = [("hello, POST of the chat body", hello, "POST", CHAT), ("mock: GET /v1/models", mock, "GET", None),
             ("mock: chat, non-stream", mock, "POST", CHAT),
             ("mock: chat, stream", mock, "POST", {**CHAT, "stream": True})]

    async def run(app: Any, method: str, body: Any | None, count: int) -> float:
        raw = b"" if body is None else json.dumps(body).encode()
        path = "/v1/models" if body is None else "/v1/chat/completions"
        headers = [(b"host", HOST.encode()), (b"authorization", b"Bearer bench")]
        headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(raw))] if raw else []
        message = {"type": "http.request", "body": raw, "more_body": False}

        async def receive() -> dict[str, Any]:
            return message

        async def send(message: dict[str, Any]) -> None:
            pass

        started = time.perf_counter()
        for _ in range(count):
            scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                     "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
                     "headers": list(headers), "server": (HOST, 8000), "client": (HOST, 50000), "state": {}}
            await app(scope, receive, send)
        return (time.perf_counter() - started) / count * 1e6

    times: dict[str, list[float]] = {label: [] for label, *_ in cases}
    for _ in range(rounds):
        for label, app, method, body in cases:
            asyncio.run(run(app, method, body, 200))  # warm: the tokenizer, the memo
            times[label].append(asyncio.run(run(app, method, body, requests)))
    print(f"| app called in process ({requests:,} requests x {rounds} rounds) | us per request (median) |")
    print("|---|---:|")
    for label, values in times.items():
        print(f"| {label} | {statistics.median(values):.1f} |")


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


TARGET_RUN, TARGET = "mock: chat, non-stream", 0.7


def _loadavg() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


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
        with asyncio.Runner(loop_factory=_fast_loop()) as runner:
            print(json.dumps(runner.run(result)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds per run (default 10)")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds; medians are shown (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent keep-alive connections (16)")
    parser.add_argument("--max-requests", type=int, default=500_000, help="stop a run after this many")
    parser.add_argument("--pin", action="store_true", help="server on CPU 0, load on CPU 1 (quiet machines)")
    parser.add_argument("--only", action="append", metavar="TEXT",
                        help="only the mock runs whose label contains TEXT (repeatable; the ceilings always run)")
    parser.add_argument("--app-time", action="store_true",
                        help="only time the apps called in process (no server): us of app time per request")
    args = parser.parse_args()
    if args.app_time:
        app_time(20_000, max(args.repeat, 3))
        return 0
    runs = [r for r in RUNS if r[1] == "hello" or not args.only or any(t in r[0] for t in args.only)]
    print(f"# {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, {stack()}; "
          f"{args.connections} connections, {args.seconds:g} s x {args.repeat} interleaved rounds per run")
    print(f"# load average before: {_loadavg()}")
    rounds: list[dict[str, dict[str, Any]]] = []
    for number in range(args.repeat):
        rounds.append({label: measure(app, path, body, distinct, args) for label, app, path, body, distinct, _ in runs})
        summary = ", ".join(f"{label.split(': ')[1]} {r['rps']:,.0f}" for label, r in rounds[-1].items())
        print(f"# round {number + 1}: req/s {summary}", file=sys.stderr, flush=True)
    print(f"# load average after: {_loadavg()}\n")
    print("| run | req/s | req per server CPU-s | tokens/s | server busy | load busy | x GET / ceiling (req/s) "
          "| x same-request ceiling (req/s) | x same-request ceiling (per CPU-s) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, *_, ceiling in runs:
        def median(key: str, label: str = label) -> float:
            return float(statistics.median(r[label][key] for r in rounds))

        tps = median("tps")
        busy = statistics.median(r[label]["cpu_s"] / r[label]["seconds"] for r in rounds)
        load_busy = statistics.median(r[label]["load_cpu_s"] / r[label]["seconds"] for r in rounds)
        print(f"| {label} | {median('rps'):,.0f} | {median('per_cpu_s'):,.0f} "
              f"| {f'{tps:,.0f}' if tps else '-'} "
              f"| {busy:.0%} | {load_busy:.0%} "
              f"| {_median_ratio(rounds, label, GET_CEILING, 'rps'):.2f} "
              f"| {_median_ratio(rounds, label, ceiling, 'rps'):.2f} "
              f"| {_median_ratio(rounds, label, ceiling, 'per_cpu_s'):.2f} |")
    errors = sum(r[label]["errors"] for r in rounds for label, *_ in runs)
    print(f"\nnon-200 responses: {errors}. Each ratio is the median over rounds of the run / that round's ceiling; "
          "the same-request ceiling is hello answering the same request (GET / for GET runs, the chat body POSTed "
          "for chat runs). `server busy` is the server's CPU time / wall time (1 core at most: one event loop); "
          "well under 100%, the server was not the bottleneck (the load process, at `load busy`, or other jobs "
          "on the machine were), so that run's req/s, and its req/s ratio, understate what the server can do; "
          "the per-CPU-s ratio holds either way.")
    for label, *_ in runs:
        print(f"- {label}: req/s by round " + " / ".join(f"{r[label]['rps']:,.0f}" for r in rounds))
    if TARGET_RUN in [r[0] for r in runs]:
        ratios = [_median_ratio(rounds, TARGET_RUN, POST_CEILING, key) for key in ("rps", "per_cpu_s")]
        verdict = "met" if min(ratios) >= TARGET else "NOT met"
        print(f"\ntarget (chat, non-stream >= {TARGET} x the same-request ceiling, req/s and per CPU-s): {verdict} "
              f"({ratios[0]:.2f} and {ratios[1]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
