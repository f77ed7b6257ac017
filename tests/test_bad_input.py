"""Every bad input the README and the gate issue name, through the real command line: the documented exit code, a
message naming what to fix, and never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BAD_TARGETS = {
    "base_url_int": ("[api]\nbase_url = 12\n", "[api] base_url must be an http(s) URL string"),
    "request_s_text": ('[timeouts]\nrequest_s = "fast"\n', "[timeouts] request_s must be a positive number"),
    "typo_tokn": ('[auth]\ntokn = "t"\n', "did you mean 'token'?"),
    "not_toml": ("[api\nbase_url = \n", "cannot read target file"),
    "unknown_feature": ("[features]\nsupported = ['teleportation']\n", "teleportation"),
}
BAD_THRESHOLDS = {
    "typo": ("max_eror_rate = 0.01\n", "did you mean 'max_error_rate'?"),
    "text": ('[ttft_ms]\np99 = "fast"\n', "ttft_ms.p99 must be a number, got str 'fast'"),
    "stat_typo": ("[ttft_ms]\np999 = 5\n", "unknown key 'p999'"),
}


def _cases(tmp: Path) -> list[tuple[str, list[str], int, str]]:
    """(name, argv, exit code, a piece of the message)."""
    blocked = tmp / "a-file"
    blocked.write_text("not a directory")
    unwritable = str(blocked / "reports")
    cases = [
        ("check-test-nothing", ["check", "--test", "nothing"], 5, "no test matches --test 'nothing'"),
        ("check-profile-nope", ["check", "--profile", "nope"], 5, "no test matches --profile 'nope'"),
        ("check-excluded-all", ["check", "--test", "chat.*", "--test", "!chat*"], 5, "no test matches"),
        ("check-report-dir", ["check", "--report-dir", unwritable], 2, "--report-dir"),
        ("check-timeout-0", ["check", "--timeout", "0"], 2, "--timeout must be a positive number"),
        ("check-timeout-neg", ["check", "--timeout", "-1"], 2, "--timeout must be a positive number"),
        ("check-timeout-nan", ["check", "--timeout", "nan"], 2, "--timeout must be a positive number"),
        ("check-timeout-text", ["check", "--timeout", "fast"], 2, "invalid float value"),
        ("check-examples-0", ["check", "--examples", "0"], 2, "--examples must be at least 1"),
        ("check-missing-target", ["check", "--target", str(tmp / "nope.toml")], 2, "cannot read target file"),
        ("check-key-without-secret", ["check", "--api-key", "k"], 2, "--api-key and --api-secret go together"),
        ("check-unknown-defect", ["check", "--defect", "no-such-defect"], 2, "no-such-defect"),
        ("check-base-url-not-url", ["check", "--base-url", "not-a-url", "--token", "t"], 2, "--base-url"),
        ("selftest-defect", ["selftest", "--defect", "nope"], 2, "unknown defects"),
        ("selftest-report-dir", ["selftest", "--defect", "no-done", "--report-dir", unwritable], 2, "--report-dir"),
        ("load-timeout-0", ["load", "chat", "--timeout", "0"], 2, "--timeout must be positive"),
        ("load-max-error-rate", ["load", "chat", "--max-error-rate", "2"], 2, "--max-error-rate must be between"),
        ("load-report-dir", ["load", "chat", "--report-dir", unwritable], 2, "--report-dir"),
        ("load-missing-thresholds", ["load", "chat", "--thresholds", str(tmp / "no.toml")], 2, "cannot read"),
        ("report-diff-missing", ["report", "diff", str(tmp / "a.json"), str(tmp / "b.json")], 2, "cannot read"),
        ("report-matrix-out", ["report", "matrix", str(tmp / "a.json"), "--out", unwritable], 2, "cannot read"),
    ]
    for name, (text, message) in BAD_TARGETS.items():
        path = tmp / f"target-{name}.toml"
        path.write_text(text)
        cases.append((f"target-{name}", ["check", "--target", str(path)], 2, message))
    for name, (text, message) in BAD_THRESHOLDS.items():
        path = tmp / f"slo-{name}.toml"
        path.write_text(text)
        cases.append((f"thresholds-{name}", ["load", "chat", "--thresholds", str(path)], 2, message))
    return cases


def test_every_bad_input_exits_with_its_code_a_message_and_no_traceback(tmp_path: Path) -> None:
    cases = _cases(tmp_path)
    env = {**os.environ, "NO_COLOR": "1"}
    failures = []
    for start in range(0, len(cases), 4):  # four at a time: bounded, and kind to a small machine
        batch = cases[start:start + 4]
        running = [(case, subprocess.Popen([sys.executable, "-m", "aigw_conformance", *case[1]], cwd=tmp_path,
                                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
                   for case in batch]
        for (name, _argv, code, message), process in running:
            out, err = process.communicate(timeout=300)
            if process.returncode != code or message not in err or "Traceback" in out + err:
                failures.append(f"{name}: exit {process.returncode} (want {code}); stderr: {err.strip()[-400:]}")
            if "started the reference" in out:
                failures.append(f"{name}: the run started before the input was refused")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("argv", [["check", "--timeout", "0"], ["load", "chat", "--max-error-rate", "-0.5"]])
def test_bad_values_are_refused_in_process_too(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from aigw_conformance.cli import main

    assert main(argv) == 2
    assert "must be" in capsys.readouterr().err
