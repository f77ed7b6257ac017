"""SIGINT/SIGTERM without a traceback: stop the run, keep what it produced, exit 130 or 143."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Abort(BaseException):
    """Raised in the main thread to stop the running test or load run at once (not an Exception: the harness's
    `except Exception` around a test must not swallow it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


def exit_code(signum: int) -> int:
    """128 + the signal's number: 130 for SIGINT, 143 for SIGTERM (as shells report a process killed by it)."""
    return 128 + signum


def _before_run(signum: int, frame: FrameType | None) -> None:
    """Before a run is under way there is nothing to save: leave at once, quietly (even during the imports)."""
    raise SystemExit(exit_code(signum))


def install_early() -> None:
    """The first thing `aigw` does, before its heavy imports: no signal can ever print a traceback."""
    for signum in SIGNALS:
        signal.signal(signum, _before_run)


class Interrupts:
    """The signal state of one run. With `graceful`, the first SIGINT only asks the run to stop after the current
    test (`requested`); SIGTERM, a second SIGINT, or any signal without `graceful` raises Abort at once."""

    def __init__(self, *, graceful: bool, on_request: Callable[[], None] | None = None) -> None:
        self.graceful = graceful
        self.on_request = on_request
        self.signum: int | None = None
        self.shielded = False  # set once the run is over: a late signal must not break the report's writing

    @property
    def requested(self) -> bool:
        return self.signum is not None

    @property
    def code(self) -> int:
        return exit_code(self.signum) if self.signum is not None else 0

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        first = self.signum is None
        if first:
            self.signum = signum
        if self.shielded:
            return
        if self.graceful and first and signum == signal.SIGINT:
            if self.on_request:
                self.on_request()
            return
        raise Abort(signum)

    @contextmanager
    def armed(self) -> Iterator[Interrupts]:
        """Handle SIGINT and SIGTERM this way inside the block (main thread only), restoring the old handlers."""
        if not _main_thread():
            yield self
            return
        previous = {signum: signal.getsignal(signum) for signum in SIGNALS}
        for signum in SIGNALS:
            signal.signal(signum, self._handle)
        try:
            yield self
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def main() -> int:
    """The `aigw` console script: handlers first, then the command line."""
    install_early()
    from aigw_conformance.cli import main as cli_main

    try:
        return cli_main()
    except Abort as abort:  # a signal outside any run's own handling
        print(f"aigw: {abort}", file=sys.stderr)
        return exit_code(abort.signum)
