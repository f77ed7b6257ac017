"""The one table of `aigw` exit codes: the `--help` epilogs and the README's table are rendered from it."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

OK, FAILED, USAGE, UNREACHABLE, RUN_FAILED, EMPTY_SELECTION = 0, 1, 2, 3, 4, 5
INTERRUPTED_SIGINT, INTERRUPTED_SIGTERM = 130, 143  # 128 + the signal's number, as shells report it


@dataclass(frozen=True)
class ExitCode:
    """One code and what it means for each command that can return it (`check`, `selftest`, `load`, `report`)."""

    code: int
    meaning: str
    commands: dict[str, str]


TABLE: tuple[ExitCode, ...] = (
    ExitCode(OK, "success", {
        "check": "every test that ran passed (skipped tests do not fail the run)",
        "selftest": "every defect was caught and the clean and quirky reference passed every check",
        "load": "the run finished, the error rate was within --max-error-rate and no SLO was breached",
        "report": "no regression (`diff`); the matrix was written (`matrix`)",
    }),
    ExitCode(FAILED, "the gate failed", {
        "check": "a test failed on a documented element (with --strict: any failure, inferred elements included), "
                 "or the run's budget (--max-run-s) ran out before every selected test ran",
        "selftest": "a defect was not caught, or the clean reference failed a check",
        "load": "the error rate exceeded --max-error-rate (default 0.01; 100% errors always fail), or an SLO "
                "of --thresholds was breached; the top error causes and the breaches are printed",
        "report": "`diff`: a regression (one only on inferred elements counts with --strict)",
    }),
    ExitCode(USAGE, "usage or configuration error", {
        "all": "a bad flag or value, a target or thresholds file that cannot be read or has a wrong key or type "
               "(the message names the file, the key and the expected type), an unknown defect or feature, a "
               "--report-dir that cannot be written, an unset ${VAR} of a target file; for check and init also "
               "credentials the gateway refused (401/403 at the preflight, with an excerpt of the answer) and a base "
               "that is not the API (naming a nearby one that is); no test was run",
    }),
    ExitCode(UNREACHABLE, "the target could not be reached", {
        "check": "the AI API base did not answer at all (checked before the run; the reports are still written, "
                 "with one failed `preflight` test)",
        "load": "the connect before the run failed, or every request failed before a response",
    }),
    ExitCode(RUN_FAILED, "the load run itself failed", {
        "load": "locust recorded no request, or was killed at its time limit",
    }),
    ExitCode(EMPTY_SELECTION, "nothing selected", {
        "check": "--test/--profile matched no test, so nothing was checked (never a green run)",
    }),
    ExitCode(INTERRUPTED_SIGINT, "interrupted by SIGINT (Ctrl-C)", {
        "check": "the partial report was written with `interrupted: true` (the first Ctrl-C finishes the running "
                 "test, a second one stops it at once)",
        "selftest": "the runs under way finish and no other starts (a second Ctrl-C stops them at once); the "
                    "partial score is printed and selftest.md (with --report-dir) says **Interrupted**",
        "load": "locust and its processes were stopped; summary.json holds the requests so far, "
                "`interrupted: true`",
        "others": "stop without a report",
    }),
    ExitCode(INTERRUPTED_SIGTERM, "interrupted by SIGTERM", {
        "check": "the running test is stopped at once; the partial report is written with `interrupted: true`",
        "selftest": "its worker processes are stopped at once; the partial result is written as for SIGINT",
        "load": "as for SIGINT",
        "others": "stop without a report",
    }),
)


def _lines(entry: ExitCode) -> list[str]:
    if list(entry.commands) == ["all"]:
        return [entry.commands["all"]]
    return [f"{command}: {text}" for command, text in entry.commands.items()]


def epilog(command: str | None = None) -> str:
    """The table as plain text for `--help`: every code, or only those `command` can return."""
    out = ["exit codes:"]
    for entry in TABLE:
        if command is None:
            lines = _lines(entry)
        else:
            lines = [text] if (text := entry.commands.get(command) or entry.commands.get("all")
                                   or entry.commands.get("others")) else []
        if not lines:
            continue
        out.append(f"  {entry.code:<4} {entry.meaning}")
        out.extend(textwrap.fill(line, 110, initial_indent=" " * 7, subsequent_indent=" " * 9) for line in lines)
    return "\n".join(out) + "\n"


def markdown() -> str:
    """The table as Markdown, as README.md holds it (tests/test_exit_codes.py keeps the two equal)."""
    rows = ["| code | meaning | per command |", "|---|---|---|"]
    for entry in TABLE:
        detail = "<br>".join(_lines(entry)).replace("|", "\\|")
        rows.append(f"| {entry.code} | {entry.meaning} | {detail} |")
    return "\n".join(rows) + "\n"
