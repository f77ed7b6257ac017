"""A time-exact OpenAI-style upstream for calibrating the load harness: fixed TTFT and ITL to the millisecond."""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

TTFT, ITL = "x-mock-ttft-ms", "x-mock-itl-ms"
DEFAULT_TTFT_MS, DEFAULT_ITL_MS, DEFAULT_TOKENS = 100, 20, 16


class _Handler(BaseHTTPRequestHandler):
    """Streams: a role-only chunk and a `:` comment at once, the first content token `ttft` ms after the
    request was read, then one token every `itl` ms on an absolute schedule (no drift), usage, `[DONE]`."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else a small event waits for the delayed ACK of the previous one

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        received = time.perf_counter()
        ttft = int(self.headers.get(TTFT, DEFAULT_TTFT_MS)) / 1000
        itl = int(self.headers.get(ITL, DEFAULT_ITL_MS)) / 1000
        tokens = int(body.get("max_completion_tokens") or DEFAULT_TOKENS)
        usage = {"prompt_tokens": 10, "completion_tokens": tokens, "total_tokens": 10 + tokens}
        if self.path.endswith("/embeddings"):
            self._json({"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [0.0] * 8}],
                        "model": body.get("model"), "usage": {"prompt_tokens": 10, "total_tokens": 10}})
        elif body.get("stream") is not True:
            time.sleep(max(0.0, received + ttft + itl * (tokens - 1) - time.perf_counter()))
            self._json({"id": "calib", "object": "chat.completion", "choices": [
                {"index": 0, "message": {"role": "assistant", "content": "tok " * tokens}, "finish_reason": "length"}
            ], "usage": usage})
        else:
            self._stream(received, ttft, itl, tokens, usage)

    def _json(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, received: float, ttft: float, itl: float, tokens: int, usage: dict[str, int]) -> None:
        def event(delta: dict[str, Any] | None, **extra: Any) -> bytes:
            finish = extra.pop("finish", None)
            choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
            chunk = {"id": "calib", "object": "chat.completion.chunk", "choices": choices, **extra}
            return b"data: " + json.dumps(chunk).encode() + b"\n\n"

        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        self._send(event({"role": "assistant", "content": ""}) + b": keep-alive\n\n")
        for index in range(tokens):
            time.sleep(max(0.0, received + ttft + index * itl - time.perf_counter()))
            self._send(event({"content": f"tok{index} "}))
        self._send(event({}, finish="length") + event(None, usage=usage) + b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")


class CalibrationServer:
    """`with CalibrationServer() as server:` serves on `server.base_url` (127.0.0.1, a free port) + `/v1`."""

    def __init__(self, port: int = 0) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="calibration", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> CalibrationServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aigw_conformance.suites.load.calibration", description=__doc__)
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--seconds", type=float, default=600.0, help="serve this long, then exit")
    args = parser.parse_args(argv)
    with CalibrationServer(args.port) as server:
        print(f"calibration upstream on {server.base_url} for {args.seconds:g}s", flush=True)
        time.sleep(args.seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
