"""What `aigw check` prints: live progress and colour on a TTY, plain lines for CI and pipes, failures in full."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from aigw_conformance.reports.markdown import deep_summary
from aigw_conformance.reports.model import Report, TestResult
from aigw_conformance.suites.failures import capped

MARK = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}
COLOURS = {"passed": "32", "failed": "31", "skipped": "33", "dim": "2", "bold": "1"}
TICK_S = 1.0  # how often the live line's elapsed time is redrawn
SHOWN_CHARS = 4000  # a message printed in full is still cut here (wrapping megabytes takes minutes)


def fancy(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Live progress and colour: only on a TTY, and never when NO_COLOR or CI is set (or TERM=dumb)."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    ci = environ.get("CI", "").strip().lower() not in ("", "0", "false")
    return tty and not environ.get("NO_COLOR") and not ci and environ.get("TERM") != "dumb"


class Terminal:
    """Receives the run's events (`begin`, `started`, `finished`, `line`) and prints them for people or for CI."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False,
                 environ: Mapping[str, str] | None = None, width: int | None = None) -> None:
        self.stream = stream or sys.stdout
        self.quiet = quiet
        self.live = fancy(self.stream, os.environ if environ is None else environ)
        self.width = max(40, width or shutil.get_terminal_size((100, 24)).columns)
        self.total = self.done = self.failed = 0
        self.current = ""
        self.started_at = time.monotonic()
        self._lock = threading.RLock()  # re-entrant: a signal handler's notice may arrive inside a write
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._begun = False  # no progress line before the run knows its total

    def paint(self, text: str, colour: str) -> str:
        return f"\x1b[{COLOURS[colour]}m{text}\x1b[0m" if self.live else text

    def _write(self, text: str) -> None:
        """Print `text` (lines) above the live progress line, then redraw the progress line."""
        with self._lock:
            clear = "\r\x1b[2K" if self.live and not self.quiet else ""
            self.stream.write(clear + text + ("\n" if text else ""))
            if self.live and not self.quiet and self._begun and not self._stop.is_set():
                self.stream.write(self._progress())
            self.stream.flush()

    def _progress(self) -> str:
        elapsed = int(time.monotonic() - self.started_at)
        failures = self.paint(f"{self.failed} failed", "failed") if self.failed else "0 failed"
        head = f"[{self.done}/{self.total}] {elapsed // 60}:{elapsed % 60:02d}  {failures}  "
        room = self.width - len(f"[{self.done}/{self.total}] {elapsed // 60}:{elapsed % 60:02d}  "
                                f"{self.failed} failed  ") - 1
        current = self.current if len(self.current) <= room else self.current[:max(0, room - 1)] + "…"
        return head + self.paint(current, "dim")

    def begin(self, total: int) -> None:
        self.total, self.started_at, self._begun = total, time.monotonic(), True
        if self.live and not self.quiet:
            self._ticker = threading.Thread(target=self._tick, name="aigw-progress", daemon=True)
            self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(TICK_S):
            self._write("")

    def started(self, test_id: str) -> None:
        self.current = test_id
        if self.live and not self.quiet:
            self._write("")

    def finished(self, result: TestResult) -> None:
        self.done += 1
        self.total = max(self.total, self.done)  # the run budget's result comes on top of the selection
        self.failed += result.outcome == "failed"
        if self.quiet or (self.live and result.outcome == "passed"):
            return
        mark = self.paint(MARK[result.outcome], result.outcome)
        column = max(len(result.id), min(52, self.width // 3))
        head = f"{mark}  {result.id:<{column}} {result.duration_s:6.2f}s"
        if result.outcome == "passed":
            self._write(head)
            return
        room = max(20, self.width - 1 - len(f"XXXX  {result.id:<{column}} {result.duration_s:6.2f}s  "))
        self._write(f"{head}  {textwrap.shorten(result.message[:room * 4], room, placeholder=' …')}")

    def line(self, text: str) -> None:
        if not self.quiet:
            self._write(text)

    def notice(self, text: str) -> None:
        """A message that shows even with --quiet (e.g. how to stop a run at once)."""
        self._write(self.paint(text, "bold"))

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=5)
        if self.live and not self.quiet:
            with self._lock:
                self.stream.write("\r\x1b[2K")
                self.stream.flush()

    def _wrapped(self, text: str, indent: str = "      ") -> str:
        text = capped(text, SHOWN_CHARS)  # a report written by an older aigw may hold a message of megabytes
        return textwrap.fill(text, self.width - 1, initial_indent=indent, subsequent_indent=indent,
                             break_long_words=True, break_on_hyphens=False)

    def findings(self, report: Report, *, strict: bool) -> list[str]:
        """`N findings` and one entry per finding (severity, check, tests broken, grounds, an example exchange and
        what failed, the quote), wrapped not cut; nothing when no test failed."""
        findings = report.findings()
        if not findings:
            return []
        convention = not strict and any(f.grounds == "convention" for f in findings)
        lenient = "; convention findings do not fail the run without --strict" if convention else ""
        failed = report.counts()["failed"]
        head = (f"{len(findings)} finding{'' if len(findings) == 1 else 's'} (distinct deviations behind {failed} "
                f"failed test{'' if failed == 1 else 's'}, most severe first{lenient}):")
        out = [self.paint(textwrap.fill(head, self.width - 1, break_on_hyphens=False), "bold")]
        for number, f in enumerate(findings, 1):
            example = f"{f.exchange} ({f.test})" if f.exchange else f.test
            entry = (f"{number}. [{f.severity or '?'}] {f.check}: {f.count} test{'' if f.count == 1 else 's'}, "
                     f"{f.grounds_note()}. e.g. {example}: {f.excerpt()}")
            out.append(textwrap.fill(entry, self.width - 1, initial_indent="  ", subsequent_indent="     ",
                                     break_long_words=True, break_on_hyphens=False))
        return [*out, ""]

    def summary(self, report: Report, written: Mapping[str, Path], *, strict: bool) -> None:
        """Counts, profiles, the deep run, the findings, every failed test with its reason in full, and the files
        written."""
        self.close()
        counts = report.counts()
        out = ["", *self.findings(report, strict=strict)]
        documented, inferred = report.split_failed()
        for title, failed in (("Failed", documented), ("Failed on inferred elements only" + (
                "" if strict else " (does not fail the run without --strict)"), inferred)):
            if failed:
                out.append(self.paint(f"{title} ({len(failed)}):", "bold"))
                for result in failed:
                    out += [f"  {self.paint('FAIL', 'failed')} {result.id}", self._wrapped(result.message)]
                    grounds = dict.fromkeys(f"{failure.check}: {failure.grounds_text()}" for failure in result.failures)
                    out += [self._wrapped(text, indent="        ") for text in grounds]
                out.append("")
        verdict = self.paint(report.verdict(strict), "failed" if report.gate_failed(strict) else "passed")
        interrupted = self.paint("  (interrupted: partial report)", "failed") if report.interrupted else ""
        found = len(report.findings())
        found_text = f"; {found} finding{'' if found == 1 else 's'}" if found else ""
        out.append(f"{verdict}  {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped "
                   f"in {report.duration_s:.1f}s{found_text}{interrupted}")
        for profile in report.profiles():
            out.append(f"  {profile.name:<14} {profile.status:<8} passed {profile.passed}, failed {profile.failed}, "
                       f"skipped {profile.skipped}")
        if report.deep is not None:
            out.append(f"deep run: {deep_summary(report.deep)}")
            out.append("  statuses " + ", ".join(f"{status}: {n:,}" for status, n in report.deep.statuses.items()))
        out += [f"{kind:<9} {path}" for kind, path in written.items()]
        self.stream.write("\n".join(out) + "\n")
        self.stream.flush()
