"""Run an ASGI app with uvicorn on 127.0.0.1 in a background thread, for tests, the CLI and self-tests."""

from __future__ import annotations

import logging
import socket
import threading
from types import TracebackType
from typing import Any

import uvicorn

from aigw_conformance.mocks.core.guard import protocol_class
from aigw_conformance.mocks.core.serverlimits import ServerLimits

LOOPBACK = "127.0.0.1"
# uvicorn logs this at ERROR when an app ends without finishing its response. Every server of this package that
# does so does it on purpose: a mock's injected drop (x-mock-disconnect-after, the stall's drop) or the reference
# cutting a stream whose provider failed (what the client then sees is judged by sse.upstream_failure_visible), so
# in a run it is noise that reads like a harness error.
INTENDED_DROP = "ASGI callable returned without completing response."


class _IntendedDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != INTENDED_DROP


logging.getLogger("uvicorn.error").addFilter(_IntendedDrops())


class ServerThread:
    """An uvicorn server bound to loopback (httptools and uvloop when installed, as `uvicorn.run` picks them);
    `start()` returns once it accepts connections; `limits` (guard.py) bound what one client can hold."""

    def __init__(self, app: Any, port: int = 0, *, name: str = "server", limits: ServerLimits | None = None) -> None:
        # proto=IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections; without it every
        # small response waits ~40 ms for Nagle's algorithm and delayed ACKs.
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self._sock.bind((LOOPBACK, port))
        except OSError:
            self._sock.close()
            raise
        self.port: int = self._sock.getsockname()[1]
        http: Any = protocol_class(limits) if limits is not None else "auto"
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=2, http=http
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"aigw-{name}-{self.port}", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def _run(self) -> None:
        # `Server.run` picks the loop as `uvicorn.run` does (loop="auto": uvloop when installed), so the tests,
        # `aigw mocks serve` and the benchmarks share one stack; signal handlers stay the main thread's.
        self._server.run(sockets=[self._sock])

    def start(self, timeout: float = 10.0) -> str:
        self._thread.start()
        waited = 0.0
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"server on port {self.port} exited during start-up")
            if waited >= timeout:
                raise TimeoutError(f"server on port {self.port} did not start within {timeout}s")
            threading.Event().wait(0.01)
            waited += 0.01
        return self.base_url

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._sock.close()

    def __enter__(self) -> ServerThread:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
