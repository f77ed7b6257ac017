"""`pytest --aigw`: the conformance tests as pytest items, run as a user's own pytest runs them (a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from aigw_conformance.cli import main
from aigw_conformance.mocks.reference.stack import ReferenceStack
from aigw_conformance.suites.conformance import TESTS

HANG_GUARD_S = 600  # only against a hung run, never a speed assertion
CLEAN_ENVIRONMENT = ("PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER", "AIGW_TOKEN", "AIGW_API_KEY", "AIGW_API_SECRET",
                     "AIGW_CLIENT_TOKEN")


def pytest_in(directory: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m pytest ARGS` in `directory` (no ini file there: none of this project's settings apply)."""
    environment = {key: value for key, value in os.environ.items() if key not in CLEAN_ENVIRONMENT}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", *args],
                          cwd=directory, env={**environment, **(env or {})}, capture_output=True, text=True,
                          timeout=HANG_GUARD_S, check=False)


def collected(directory: Path, *args: str) -> list[str]:
    run = pytest_in(directory, "--collect-only", "-q", *args)
    assert run.returncode in (0, 5), run.stdout + run.stderr
    return [line for line in run.stdout.splitlines() if "::" in line]


def junit_outcomes(path: Path) -> dict[str, str]:
    """pytest's own --junitxml: test name → passed, failed, skipped (xfailed is a skipped of type pytest.xfail)."""
    outcomes = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        verdict = "passed"
        if case.find("failure") is not None or case.find("error") is not None:
            verdict = "failed"
        elif (skipped := case.find("skipped")) is not None:
            verdict = "xfailed" if skipped.get("type") == "pytest.xfail" else "skipped"
        outcomes[case.get("name", "")] = verdict
    return outcomes


def check_outcomes(tmp_path: Path, *args: str) -> dict[str, str]:
    """`aigw check ARGS`, in this process: test ID → outcome."""
    main(["check", "--quiet", "--report-dir", str(tmp_path / "check"), *args])
    report = json.loads((tmp_path / "check" / "report.json").read_text())
    return {result["id"]: result["outcome"] for result in report["results"]}


def test_without_aigw_the_plugin_adds_nothing_and_with_it_every_test_is_an_item(tmp_path: Path) -> None:
    (tmp_path / "test_own.py").write_text("def test_own():\n    pass\n")
    assert collected(tmp_path) == ["test_own.py::test_own"]
    assert collected(tmp_path, "--aigw") == ["test_own.py::test_own", *(f"aigw::{test_id}" for test_id in TESTS)]


def test_markers_select_by_profile_feature_and_alone_under_strict_markers(tmp_path: Path) -> None:
    streaming_elsewhere = collected(tmp_path, "--aigw", "--strict-markers", "-m",
                                    "aigw_feature(name='chat-streaming') and not aigw_profile(name='ai-streaming')")
    assert streaming_elsewhere == [f"aigw::{test.id}" for test in TESTS.values()
                                   if "chat-streaming" in test.features and test.profile.name != "ai-streaming"]
    assert len(streaming_elsewhere) >= 3
    client_alone = [f"aigw::{test.id}" for test in TESTS.values() if test.api == "client" and test.alone]
    assert collected(tmp_path, "--aigw", "--strict-markers", "-m", "aigw(api='client') and aigw_alone") == client_alone
    assert collected(tmp_path, "--aigw", "--strict-markers", "-W", "error", "-p", "no:xdist", "-m",
                     "aigw(api='client') and aigw_alone") == client_alone
    assert collected(tmp_path, "--aigw", "--strict-markers", "-k", "stream") == [
        f"aigw::{test_id}" for test_id in TESTS if "stream" in test_id]


def test_tests_that_script_faults_or_use_up_limits_are_marked_alone() -> None:
    """A fault rule on a mock (`upstream.fault`, `every_mock`) or a used-up limit meets every other test's request
    meanwhile."""
    import inspect

    scripting = {test.id for test in TESTS.values()
                 if any(hint in inspect.getsource(test.function)
                        for hint in ("upstream.fault(", "every_mock(", "rate_limit", "quota_token",
                                     "breaker_threshold"))}
    assert scripting == {test.id for test in TESTS.values() if test.alone}
    assert {"translation.upstream_500", "client.errors.breaker_open"} <= scripting


# Loaded by every worker of the run below: records when each conformance test ran (the real runner runs it).
SPAN_RECORDER = """
import json, os, time
from aigw_conformance import pytest_session
real_run_test = pytest_session.run_test
def timed(test, target, probe):
    started = time.monotonic()
    if test.alone:
        time.sleep(2)  # widens the window in which a test on the other worker would overlap without the gate
    try:
        return real_run_test(test, target, probe)
    finally:
        with open(f"spans-{os.getpid()}.jsonl", "a") as spans:
            spans.write(json.dumps([test.id, test.alone, started, time.monotonic(), target.base_url]) + "\\n")
pytest_session.run_test = timed
"""


def assert_alone_tests_ran_alone_against_one_reference(directory: Path, base_url: str) -> None:
    spans = [json.loads(line) for path in directory.glob("spans-*.jsonl") for line in path.read_text().splitlines()]
    assert len(list(directory.glob("spans-*.jsonl"))) == 2  # both workers ran tests
    assert {span[-1] for span in spans} == {base_url}  # the reference the controller started, no other
    for test_id, alone, started, ended, _ in spans:
        if alone:
            overlapping = [other for other, _, start, end, _ in spans
                           if other != test_id and start < ended and end > started]
            assert overlapping == [], f"{test_id} ran alongside {overlapping}"


def test_two_workers_run_the_streaming_tests_against_one_reference_as_aigw_check_judges_them(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(SPAN_RECORDER)
    run = pytest_in(tmp_path, "--aigw", "-n", "2", "--dist", "loadgroup", "-k", "stream", "--strict-markers",
                    "-W", "error", "--junitxml", "junit.xml", "--aigw-report-dir", "reports")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "2 workers" in run.stdout and run.stdout.count("started the reference gateway") == 1
    grouped = junit_outcomes(tmp_path / "junit.xml")  # --dist loadgroup names a grouped test `<id>@<group>`
    assert {name for name in grouped if "@" in name} == {f"{test.id}@aigw-alone" for test in TESTS.values()
                                                         if "stream" in test.id and test.alone} != set()
    outcomes = {name.split("@")[0]: verdict for name, verdict in grouped.items()}
    started = next(line for line in run.stdout.splitlines() if "started the reference gateway at" in line)
    assert_alone_tests_ran_alone_against_one_reference(tmp_path, started.split(" at ")[1].split()[0])
    assert sorted(outcomes) == sorted(test_id for test_id in TESTS if "stream" in test_id)
    assert set(outcomes.values()) == {"passed"}
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert [result["id"] for result in report["results"]] == [test_id for test_id in TESTS if test_id in outcomes]
    assert (tmp_path / "reports" / "junit.xml").exists() and (tmp_path / "reports" / "report.html").exists()
    by_check = check_outcomes(tmp_path, *(f"--test={test_id}" for test_id in outcomes))
    assert {test_id: by_check[test_id] for test_id in outcomes} == outcomes


def test_a_defect_gets_the_same_verdicts_and_findings_text_as_from_aigw_check(tmp_path: Path) -> None:
    run = pytest_in(tmp_path, "--aigw", "--aigw-defect", "usage-total-off-by-one", "-k", "stream.", "--junitxml",
                    "junit.xml", "--aigw-report-dir", "reports")
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    outcomes = junit_outcomes(tmp_path / "junit.xml")
    assert {"passed", "failed"} <= set(outcomes.values())
    by_check = check_outcomes(tmp_path, "--defect", "usage-total-off-by-one", "--test", "stream.", "--test",
                              "client.stream.")
    assert {test_id: by_check[test_id] for test_id in outcomes} == outcomes
    findings = ET.parse(tmp_path / "reports" / "junit.xml").getroot()
    for case in findings.iter("testcase"):
        if (failure := case.find("failure")) is not None:  # the findings text, not a traceback of the harness
            assert f"aigw::{case.get('name')} _" in run.stdout and (failure.text or "") in run.stdout
    assert "Traceback" not in run.stdout and "pytest_items.py" not in run.stdout


def test_x_stops_at_the_first_failing_conformance_test(tmp_path: Path) -> None:
    run = pytest_in(tmp_path, "--aigw", "--aigw-defect", "no-done", "-k", "stream.", "-x")
    assert run.returncode == 1
    assert "1 failed" in run.stdout and "passed" not in run.stdout.splitlines()[-1]


def test_a_failure_only_on_inferred_elements_is_an_xfail_unless_strict(tmp_path: Path) -> None:
    args = ("--aigw", "--aigw-defect", "store-value-unchecked", "-k", "store.validation", "--junitxml", "junit.xml")
    lenient = pytest_in(tmp_path, *args)
    assert lenient.returncode == 0 and "1 xfailed" in lenient.stdout
    reason = next(ET.parse(tmp_path / "junit.xml").iter("skipped")).get("message", "")
    assert "inferred" in reason and "store.rejects_invalid" in reason
    strict = pytest_in(tmp_path, *args, "--aigw-strict")
    assert strict.returncode == 1 and "1 failed" in strict.stdout


def test_skips_carry_the_runners_reason(tmp_path: Path) -> None:
    target = tmp_path / "partial.toml"
    target.write_text('name = "partial"\n[models]\nchat = "gpt-5"\n[features]\nsupported = ["models"]\n'
                      '[features.exempt]\nmodels = "catalogue is private"\n')
    run = pytest_in(tmp_path, "--aigw", "--aigw-target", str(target), "-k", "models.list or chat.simple",
                    "--junitxml", "junit.xml")
    assert run.returncode == 0, run.stdout[-3000:]
    reasons = {case.get("name"): skipped.get("message") for case in ET.parse(tmp_path / "junit.xml").iter("testcase")
               if (skipped := case.find("skipped")) is not None}
    assert reasons == {"models.list": "feature 'models' is exempt for this target: catalogue is private",
                       "chat.simple": "target 'partial' does not declare support for feature 'chat'"}


def test_credentials_come_from_the_environment_variables_of_aigw_check(
        tmp_path: Path, reference: ReferenceStack) -> None:
    """As for `aigw check`, AIGW_TOKEN gives a live target's token (never the bundled reference's: see
    `commands._with_credentials`): a wrong one is refused at the preflight, the right one runs."""
    live = ("--aigw", "--aigw-base-url", reference.base_url, "--aigw-model", "gpt-5", "-k", "models.list")
    refused = pytest_in(tmp_path, *live, env={"AIGW_TOKEN": "not-the-reference-token"})
    assert refused.returncode == 4 and "credentials refused" in refused.stdout + refused.stderr
    accepted = pytest_in(tmp_path, *live, env={"AIGW_TOKEN": reference.token})
    assert accepted.returncode == 0, accepted.stdout[-3000:]


@pytest.mark.parametrize(("args", "code", "message"), [
    (("--aigw-base-url", "http://127.0.0.1:9/api/ai/v1", "--aigw-token", "t"), 3, "unreachable"),
    (("--aigw-base-url", "http://127.0.0.1:9/api/ai/v1", "--aigw-defect", "no-done"), 4, "--aigw-defect"),
    (("--aigw-defect", "no-such-defect"), 4, "no-such-defect"),
    (("--aigw-api-key", "k"), 4, "--api-key and --api-secret go together"),
])
def test_unusable_options_and_unreachable_targets_end_the_run_with_a_message(
        tmp_path: Path, args: tuple[str, ...], code: int, message: str) -> None:
    run = pytest_in(tmp_path, "--aigw", *args)
    assert run.returncode == code and message in run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr


def test_the_run_budget_fails_the_tests_it_leaves_no_time_for(tmp_path: Path) -> None:
    """`--aigw-max-run-s`, as `aigw check --max-run-s`: a request it leaves no time for is not sent, and the test
    fails naming the option; a budget that is no positive number ends the run as a usage error."""
    spent = pytest_in(tmp_path, "--aigw", "--aigw-max-run-s", "0.000001", "-k", "models.list", "-rf")
    assert spent.returncode == 1, spent.stdout[-3000:] + spent.stderr[-3000:]
    assert "(--aigw-max-run-s) ran out" in spent.stdout and "not sent" in spent.stdout, spent.stdout[-3000:]
    for unusable in ("0", "-5", "inf"):
        refused = pytest_in(tmp_path, "--aigw", "--aigw-max-run-s", unusable, "-k", "models.list")
        assert refused.returncode == 4 and "--aigw-max-run-s must be a positive number" in refused.stderr
