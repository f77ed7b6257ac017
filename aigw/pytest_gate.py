"""Across pytest-xdist workers: ordinary conformance tests pass the gate together, a test marked alone holds it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Two lock files (flock, so a crashed worker's locks go with it). The gate: ordinary tests hold it shared, a test
# that must run alone exclusively. The turnstile: held by a test waiting to run alone, so ordinary tests queue up
# behind it instead of starving it. Without fcntl (Windows) there is no gate: run `-n` there only with tests that
# need not run alone (`-m "not aigw_alone"`).


@contextmanager
def _flocked(path: Path, exclusive: bool) -> Iterator[None]:
    if sys.platform == "win32":
        yield
        return
    import fcntl

    with path.open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class Gate:
    """The gate of one pytest run, in `directory` (made by the controller, shared with every worker)."""

    def __init__(self, directory: Path) -> None:
        self.gate, self.turnstile = directory / "gate.lock", directory / "turnstile.lock"

    @contextmanager
    def passage(self, alone: bool) -> Iterator[None]:
        """Hold the gate while one test runs: exclusively when it must run `alone`, else shared."""
        if alone:
            with _flocked(self.turnstile, exclusive=True), _flocked(self.gate, exclusive=True):
                yield
            return
        with _flocked(self.turnstile, exclusive=True):
            pass  # wait behind a test that is waiting to run alone
        with _flocked(self.gate, exclusive=False):
            yield
