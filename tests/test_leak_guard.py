"""The leak guard fails a run that leaves a non-daemon thread or a child process behind, and passes a clean one."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
GUARD = Path(__file__).parent / "leak_guard.py"


def _run(pytester: pytest.Pytester, body: str) -> pytest.RunResult:
    pytester.makepyfile(leak_guard=GUARD.read_text(encoding="utf-8"))
    pytester.makepyfile(test_it=body)
    return pytester.runpytest_subprocess("-p", "leak_guard", "-p", "no:randomly", "-p", "no:cacheprovider")


def test_a_leftover_thread_fails_the_run(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "import threading, time\n"
                            "def test_leaks():\n"
                            "    threading.Thread(target=time.sleep, args=(8,), name='stray').start()\n")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*leak guard: the run left behind thread 'stray'*"])


def test_a_leftover_child_process_fails_the_run(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "import subprocess, sys\n"
                            "def test_leaks():\n"
                            "    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(3)'])\n")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*leak guard: the run left behind child process pid *"])


def test_a_clean_run_passes(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "import threading, time\n"
                            "def test_clean():\n"
                            "    worker = threading.Thread(target=time.sleep, args=(0.1,))\n"
                            "    worker.start()\n"
                            "    worker.join()\n")
    assert result.ret == pytest.ExitCode.OK
    assert "leak guard" not in result.stdout.str()


def _echo(value: int) -> int:
    return value


def test_the_interpreters_own_resource_tracker_is_no_leak() -> None:
    """A spawn-context pool (the self-test's) leaves multiprocessing's resource tracker running until the
    interpreter exits: the guard does not count it, and still names a real child with its command line."""
    import multiprocessing
    import subprocess
    import sys
    from concurrent.futures import ProcessPoolExecutor

    from leak_guard import _children

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        assert pool.submit(_echo, 3).result(timeout=120) == 3
    assert not [child for child in _children() if "resource_tracker" in child]
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as sleeper:
        try:
            assert any(f"pid {sleeper.pid} " in child and "time.sleep(60)" in child for child in _children())
        finally:
            sleeper.kill()
