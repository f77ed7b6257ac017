"""A raw asyncio server on 127.0.0.1 in its own thread, the base of the hostile and untrusted test targets."""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType
from typing import Any, Self

LOOPBACK = "127.0.0.1"


class LoopbackThreadServer:
    """`with Subclass() as server:` serves `connection(reader, writer)` for each client on `server.port`; stopping
    cancels the connections still open, so a server that never answers cannot keep a test waiting."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=type(self).__name__, daemon=True)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self.connection(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, KeyError,
                asyncio.CancelledError):  # a client gone, a request we cannot read, or the server stopping
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    def start(self) -> Self:
        self._thread.start()
        starting = asyncio.start_server(self._handle, LOOPBACK, 0)
        self._server = asyncio.run_coroutine_threadsafe(starting, self._loop).result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
