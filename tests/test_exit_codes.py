"""One table of exit codes: the README's table and every command's `--help` are rendered from it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aigw_conformance import exit_codes
from aigw_conformance.cli import build_parser, main

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_holds_the_table_exactly_as_the_module_renders_it() -> None:
    assert exit_codes.markdown() in README.read_text(encoding="utf-8")


def test_every_code_is_documented_once_with_a_meaning_per_command() -> None:
    codes = [entry.code for entry in exit_codes.TABLE]
    assert codes == sorted(set(codes)) == [0, 1, 2, 3, 4, 5, 130, 143]
    for command in ("check", "selftest", "load", "report"):
        assert any(command in entry.commands for entry in exit_codes.TABLE)


@pytest.mark.parametrize(("argv", "codes", "absent"), [
    ([], ["0", "1", "2", "3", "4", "5", "130", "143"], []),
    (["check"], ["0", "1", "2", "3", "5", "130", "143"], ["4"]),
    (["load", "chat"], ["0", "1", "2", "3", "4", "130", "143"], ["5"]),
    (["selftest"], ["0", "1", "2", "130"], ["4", "5"]),
])
def test_help_epilogs_come_from_the_table(capsys: pytest.CaptureFixture[str], argv: list[str], codes: list[str],
                                          absent: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*argv[:1], "--help"])
    assert exited.value.code == 0
    epilog = capsys.readouterr().out.split("exit codes:", 1)[1]
    listed = {line.split()[0] for line in epilog.splitlines() if line.startswith("  ") and not line.startswith("   ")}
    assert set(codes) <= listed and not set(absent) & listed


def test_version_prints_the_tool_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == "aigw 0.1.0"


def test_python_dash_m_runs_through_the_signal_safe_entry_point() -> None:
    done = subprocess.run([sys.executable, "-m", "aigw_conformance", "--version"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "aigw 0.1.0"
