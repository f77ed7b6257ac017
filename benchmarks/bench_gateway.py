"""The reference gateway's added latency: p50/p99 through the gateway minus p50/p99 straight to the mock.

One run drives both paths at once with an open-loop schedule (a fixed request rate; a request is sent at its
time whether or not earlier ones have answered), alternating direct-to-mock and through-gateway requests with
the same bodies, and reports each path's percentiles and their difference. It is a benchmark, not a test:
nothing asserts on its figures. See docs/benchmarks.md ("Gateway benchmark").

    python benchmarks/bench_gateway.py                       # chat, 100 req/s for 20 s
    python benchmarks/bench_gateway.py --scenario embeddings --scenario stream --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
GATEWAY_TOKEN = "bench-token"
MESSAGES = [{"role": "system", "content": "You are a SOC assistant."},
            {"role": "user", "content": "What is XDR in cybersecurity?"}]
# name → (mock path, gateway path, body); the body is the same on both paths (the gateway forwards it with the
# model's upstream name, which here is the same ID, and `max_completion_tokens` given explicitly).
SCENARIOS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "chat": ("/v1/chat/completions", "/api/ai/v1/chat/completions",
             {"model": "gpt-5-mini", "messages": MESSAGES, "max_completion_tokens": 64}),
    "stream": ("/v1/chat/completions", "/api/ai/v1/chat/completions",
               {"model": "gpt-5-mini", "messages": MESSAGES, "max_completion_tokens": 64, "stream": True}),
    "embeddings": ("/v1/embeddings", "/api/ai/v1/embeddings",
                   {"model": "text-embedding-3-small", "input": ["extended detection and response", "SIEM"],
                    "encoding_format": "base64"}),
}
PERCENTILES = (50, 90, 99)


# --- the servers (each its own process: one uvicorn worker, access log off; uvicorn picks its loop and HTTP
# parser: uvloop and httptools when installed, as they are with this project's dependencies; see `stack()`) ---


def stack() -> str:
    """The server stack uvicorn picks here (`loop="auto"`, `http="auto"`), and the versions."""
    import importlib.util
    from importlib.metadata import version

    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return (f"uvicorn {version('uvicorn')} (loop {loop}, http {http}), starlette {version('starlette')}, "
            f"httpx {version('httpx')}")

def floor_app(upstream: str) -> Any:
    """The floor: the least a Python gateway on this stack can do, a bare ASGI app relaying the body to the
    mock over a raw keep-alive connection and its answer back (no auth, validation, translation or httpx)."""
    pool = Pool(int(upstream.rsplit(":", 1)[1]))

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status, answer = await pool.send(request_bytes(scope["path"].removeprefix("/api/ai"), body, "floor"))
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())]})
        await send({"type": "http.response.body", "body": answer})

    return app


def serve(kind: str, port: int, upstream: str) -> None:
    import uvicorn

    sys.path.insert(0, str(ROOT))
    app: Any
    if kind == "floor":
        app = floor_app(upstream)
    elif kind == "mock":
        from aigw_conformance.mocks.openai.app import create_app as create_mock

        app = create_mock()  # any bearer token; exactly what `aigw mocks serve openai` runs
    else:
        from aigw_conformance.mocks.core import faults
        from aigw_conformance.mocks.reference import GatewaySettings, create_app

        if kind == "gateway-httpx":  # what-if: httpx's own transport and client (the reference before its own)
            import httpx

            from aigw_conformance.mocks.reference import state

            def httpx_client(timeout: httpx.Timeout) -> httpx.AsyncClient:
                return httpx.AsyncClient(timeout=timeout, trust_env=False)

            vars(state)["LeanClient"] = httpx_client
        app = create_app(GatewaySettings(token=GATEWAY_TOKEN, upstreams={"openai": upstream + "/v1"},
                                         forward_headers=frozenset(faults.HEADERS)))
    uvicorn.run(app, host=HOST, port=port, log_level="warning", access_log=False, lifespan="on")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _start(kind: str, upstream: str = "") -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, __file__, "--serve", kind, str(port), upstream])
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return process, port
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError(f"the {kind} server did not start") from None
            time.sleep(0.05)


# --- a small HTTP/1.1 client over raw asyncio streams (far cheaper per request than httpx) -------------------

def request_bytes(path: str, body: Any, token: str) -> bytes:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    head = (f"POST {path} HTTP/1.1\r\nhost: {HOST}\r\nauthorization: Bearer {token}\r\n"
            f"content-type: application/json\r\ncontent-length: {len(data)}\r\n\r\n")
    return head.encode() + data


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 response: (status, body), a chunked body de-chunked."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if "content-length" in headers:
        return status, await reader.readexactly(int(headers["content-length"]))
    body = bytearray()
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return status, bytes(body)
        body += chunk[:-2]


class Pool:
    """Keep-alive connections to one server; a request takes an idle one or opens another (open loop)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection(HOST, self.port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return reader, writer

    async def send(self, data: bytes) -> tuple[int, bytes]:
        reused = False
        while self.idle and not reused:
            reader, writer = self.idle.pop()
            reused = not reader.at_eof()
            if not reused:
                writer.close()
        if not reused:
            reader, writer = await self._connect()
        try:
            writer.write(data)
            try:
                status, body = await read_response(reader)
            except asyncio.IncompleteReadError as exc:
                if not reused or exc.partial:
                    raise
                writer.close()  # the server closed the idle connection (keep-alive timeout): once more, fresh
                reader, writer = await self._connect()
                writer.write(data)
                status, body = await read_response(reader)
        except BaseException:
            writer.close()
            raise
        self.idle.append((reader, writer))
        return status, body

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


@dataclass
class Series:
    """One path's latencies (ms, from the moment its request was written to its last response byte)."""

    latencies: list[float] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)  # how late the generator wrote each request (ms)
    errors: int = 0
    dropped: int = 0
    sent: int = 0  # every request of the run, warm-up included (for the CPU per request)


def percentile(values: list[float], p: int) -> float:
    """The nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(len(ordered) * p / 100))) - 1]


async def drive(ports: dict[str, int], requests: dict[str, bytes], rate: float, seconds: float, warmup: float,
                max_in_flight: int, timeout: float) -> dict[str, Series]:
    """Send at `rate` requests/s in total, round-robin over the paths (the order rotating every round, so no
    path always goes first), for `warmup` + `seconds`; only the last `seconds` are recorded. Open loop: each
    request is sent at its time on an idle keep-alive connection or a new one, whatever is outstanding.
    Bounded: at most `max_in_flight` outstanding requests per path (more are dropped and counted), each at
    most `timeout` s, and the run ends at most `timeout` s after the last request was sent."""
    pools = {name: Pool(port) for name, port in ports.items()}
    series = {name: Series() for name in ports}
    in_flight = dict.fromkeys(ports, 0)
    loop = asyncio.get_running_loop()
    names = list(ports)
    tasks: set[asyncio.Task[None]] = set()

    async def one(name: str, scheduled: float, record: bool) -> None:
        in_flight[name] += 1
        series[name].sent += 1
        sent = loop.time()
        try:
            status, _ = await asyncio.wait_for(pools[name].send(requests[name]), timeout)
            ok = status == 200
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            ok = False
        finally:
            in_flight[name] -= 1
        done = loop.time()
        if record:
            target = series[name]
            if ok:
                target.latencies.append((done - sent) * 1000)
                target.lags.append((sent - scheduled) * 1000)
            else:
                target.errors += 1

    for name in names:  # the first request loads the mock's tokenizer (~1.5 s): before the schedule starts
        status, answer = await pools[name].send(requests[name])
        if status != 200:
            raise RuntimeError(f"{name}: {status} {answer[:300]!r}")
    total = int((warmup + seconds) * rate)
    first_recorded = int(warmup * rate)
    start = loop.time() + 0.05
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        turn, position = divmod(i, len(names))
        name = names[(position + turn) % len(names)]
        record = i >= first_recorded
        if in_flight[name] >= max_in_flight:
            series[name].dropped += record
            continue
        task = asyncio.create_task(one(name, scheduled, record))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks, timeout=timeout + 1)
    for pool in pools.values():
        pool.close()
    return series


def _loadavg() -> str:
    """/proc/loadavg's 1, 5 and 15 minute load averages (other processes competing for the CPUs)."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _py_spy(pid: int, output: str) -> subprocess.Popen[bytes]:
    """Sample process `pid` into `output` (collapsed stacks) until sent SIGINT (py-spy: pip install py-spy)."""
    executable = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return subprocess.Popen([executable, "record", "--pid", str(pid), "--rate", "1000", "--format", "raw",
                             "--output", output, "--nonblocking"], stdout=subprocess.DEVNULL)


def run_scenario(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Start the mock, the gateway (and the floor proxy) as processes, drive them, stop them."""
    mock_path, gateway_path, body = SCENARIOS[name]
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        processes["mock"], mock_port = _start("mock")
        ports = {"direct": mock_port}
        requests = {"direct": request_bytes(mock_path, body, "bench")}
        extra = (("floor",) if args.floor else ()) + (("gateway-httpx",) if args.what_if_httpx else ())
        for path in ("gateway", *extra):
            processes[path], ports[path] = _start(path, f"http://{HOST}:{mock_port}")
            requests[path] = request_bytes(gateway_path, body, GATEWAY_TOKEN)
        cpu = {path: cpu_seconds(process.pid) for path, process in processes.items()}
        spy = _py_spy(processes["gateway"].pid, f"{args.py_spy}.{name}.txt") if args.py_spy else None
        series = asyncio.run(drive(ports, requests, args.rate, args.seconds, args.warmup, args.max_in_flight,
                                   args.timeout))
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=30)
        cpu = {path: cpu_seconds(process.pid) - cpu[path] for path, process in processes.items()}
    finally:
        for process in processes.values():
            process.terminate()
            process.wait(timeout=15)
    result: dict[str, Any] = {"scenario": name, "rate": args.rate, "seconds": args.seconds, "paths": list(series),
                              "cpu_s": {k: round(v, 2) for k, v in cpu.items()}, "load_average": _loadavg()}
    for path, data in series.items():
        result[path] = {"n": len(data.latencies), "errors": data.errors, "dropped": data.dropped,
                        **{f"p{p}": round(percentile(data.latencies, p), 3) for p in PERCENTILES},
                        "max": round(max(data.latencies, default=float("nan")), 3),
                        "lag_p99": round(percentile(data.lags, 99), 3)}
        if path != "direct":
            result[path]["cpu_ms_per_request"] = round(1000 * cpu[path] / max(1, data.sent), 3)
            result[path]["added"] = {f"p{p}": round(result[path][f"p{p}"] - result["direct"][f"p{p}"], 3)
                                     for p in PERCENTILES}
    return result


def report(result: dict[str, Any], targets: dict[str, float]) -> None:
    paths = result["paths"]
    cpu = ", ".join(f"{path} {seconds} s" for path, seconds in result["cpu_s"].items())
    print(f"\n{result['scenario']}: {result['rate']:g} req/s for {result['seconds']:g} s, round-robin over "
          f"{', '.join(paths)} (server CPU: {cpu})")
    print(f"  {'path':<9} {'n':>5} {'err':>4} {'drop':>4} " + " ".join(f"{'p' + str(p):>8}" for p in PERCENTILES)
          + f" {'max':>8} {'lag p99':>8}  (ms)")
    for path in paths:
        row = result[path]
        print(f"  {path:<9} {row['n']:>5} {row['errors']:>4} {row['dropped']:>4} "
              + " ".join(f"{row['p' + str(p)]:>8.3f}" for p in PERCENTILES) + f" {row['max']:>8.3f}"
              f" {row['lag_p99']:>8.3f}")
    for path in paths[1:]:
        added = result[path]["added"]
        print(f"  {path + ' - direct':<24} " + " ".join(f"{added['p' + str(p)]:>8.3f}" for p in PERCENTILES)
              + f"   (its server's CPU: {result[path]['cpu_ms_per_request']:.3f} ms per request)")
    added = result["gateway"]["added"]
    verdicts = [f"p{p} {added[f'p{p}']:.3f} ms {'<=' if added[f'p{p}'] <= limit else '>'} {limit:g} ms"
                for p, limit in ((50, targets["p50"]), (99, targets["p99"]))]
    met = all(added[f"p{p}"] <= targets[f"p{p}"] for p in (50, 99))
    print(f"  gateway target {'met' if met else 'MISSED'}: " + "; ".join(verdicts))
    print(f"  load average after: {result['load_average']} (1, 5, 15 min; above ~0.5 other processes share the "
          f"{os.cpu_count()} CPUs and every figure grows)")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "")
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIOS),
                        help="what to send (repeatable; default: chat)")
    parser.add_argument("--rate", type=float, default=100, help="requests per second, both paths together "
                        "(default 100)")
    parser.add_argument("--seconds", type=float, default=20, help="recorded seconds (default 20)")
    parser.add_argument("--warmup", type=float, default=3, help="unrecorded seconds first (default 3)")
    parser.add_argument("--max-in-flight", type=int, default=64, help="outstanding requests per path before "
                        "further ones are dropped (default 64)")
    parser.add_argument("--timeout", type=float, default=10, help="per-request limit in seconds (default 10)")
    parser.add_argument("--target-p50", type=float, default=1.0, help="added p50 target in ms (default 1)")
    parser.add_argument("--target-p99", type=float, default=5.0, help="added p99 target in ms (default 5)")
    parser.add_argument("--json", action="store_true", help="also print each result as one JSON line")
    parser.add_argument("--floor", action="store_true", help="also drive a bare relay on the same stack (a "
                        "raw ASGI app forwarding the bytes), the least any Python gateway here can add")
    parser.add_argument("--what-if-httpx", action="store_true", help="also drive a second gateway whose "
                        "upstream client is httpx's default (httpcore) instead of mocks.reference.transport")
    parser.add_argument("--py-spy", metavar="PREFIX", help="profile the gateway with py-spy into "
                        "PREFIX.<scenario>.txt (collapsed stacks)")
    args = parser.parse_args()
    if not (0 < args.rate <= 10_000 and 0 < args.seconds <= 3600 and args.warmup >= 0 and args.max_in_flight > 0):
        parser.error("--rate must be in (0, 10000], --seconds in (0, 3600], --warmup >= 0, --max-in-flight > 0")
    print(f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()}, "
          f"{os.cpu_count()} CPUs; {stack()}")
    print(f"load average before: {_loadavg()}")
    targets = {"p50": args.target_p50, "p99": args.target_p99}
    for name in args.scenario or ["chat"]:
        result = run_scenario(name, args)
        report(result, targets)
        if args.json:
            print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
