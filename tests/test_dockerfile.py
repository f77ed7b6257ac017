"""The container recipe: small, multi-stage, non-root, `aigw` as its entrypoint; built only where an engine runs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BASE = "python:3.11-slim"
ENGINE_TIMEOUT_S = 1800  # a bound against a hung build only


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of each instruction, continuation lines joined, comments dropped."""
    joined, current = [], ""
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip("\\").strip() + " " if line.endswith("\\") else line.strip()
        if not line.endswith("\\"):
            joined.append(current)
            current = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1] if " " in text else "") for text in joined]


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for instruction in instructions(ROOT / "Dockerfile"):
        if instruction[0] == "FROM":
            found.append([])
        found[-1].append(instruction)
    return found


def package_folders() -> set[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(pyproject["tool"]["setuptools"]["package-dir"].values())


def copied(stage: list[tuple[str, str]]) -> set[str]:
    return {source for name, args in stage if name == "COPY" and not args.startswith("--from")
            for source in args.split()[:-1]}


def test_two_slim_stages_the_first_builds_the_wheel_the_second_installs_only_it() -> None:
    build, final = stages()
    assert build[0] == ("FROM", f"{BASE} AS build") and final[0] == ("FROM", BASE)
    assert any(name == "RUN" and "pip wheel" in args and "--no-cache-dir" in args for name, args in build)
    assert package_folders() | {"pyproject.toml", "README.md"} <= copied(build)
    assert ("COPY", "--from=build /wheels /wheels") in final and copied(final) == set()
    install = next(args for name, args in final if name == "RUN" and "pip install" in args)
    assert "/wheels/*.whl" in install and "--no-cache-dir" in install and "rm -rf /wheels" in install


def test_the_image_runs_aigw_as_a_user_that_is_not_root() -> None:
    final = stages()[-1]
    users = [args for name, args in final if name == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert [json.loads(args) for name, args in final if name == "ENTRYPOINT"] == [["aigw"]]
    user_index = final.index(("USER", users[-1]))
    assert all(name != "RUN" for name, _ in final[user_index:])  # nothing runs as root after the switch


def test_the_build_context_keeps_the_packages_and_leaves_out_the_rest() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert not ignored & (package_folders() | {"pyproject.toml", "README.md"})
    assert {".git", ".venv", "tests", "reports/latest", "build"} <= ignored


def test_what_the_dockerfile_copies_builds_a_complete_wheel(tmp_path: Path) -> None:
    """The first stage's `pip wheel`, run on exactly the files it copies: the wheel has every package, the `aigw`
    command and the pytest plugin."""
    context = tmp_path / "src"
    for source in copied(stages()[0]):
        if (ROOT / source).is_dir():
            shutil.copytree(ROOT / source, context / source, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            context.mkdir(exist_ok=True)
            shutil.copy(ROOT / source, context / source)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "wheels"),
                    str(context)], check=True, timeout=600)
    (built,) = (tmp_path / "wheels").glob("*.whl")
    with zipfile.ZipFile(built) as archive:
        names = archive.namelist()
        entry_points = next(archive.read(name).decode() for name in names if name.endswith("entry_points.txt"))
    assert {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")} == {
        "aigw_conformance"}
    for module in ("cli.py", "pytest_plugin.py", "spec/openapi.yaml", "suites/targets/reference.toml"):
        assert f"aigw_conformance/{module}" in names
    assert "aigw = aigw_conformance.interrupt:main" in entry_points
    assert "[pytest11]" in entry_points and "aigw = aigw_conformance.pytest_plugin" in entry_points


def engine_answers() -> str | None:
    """None when a container engine answers `docker info`, else why not."""
    if shutil.which("docker") is None:
        return "no docker client on PATH"
    try:
        info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        return "`docker info` did not answer within 60 s"
    return None if info.returncode == 0 else f"no container engine answers `docker info`: {info.stderr.strip()[:200]}"


def test_the_image_builds_and_runs_aigw_as_its_user() -> None:
    if reason := engine_answers():
        pytest.skip(reason)
    tag = "aigw-conformance:test"
    subprocess.run(["docker", "build", "-q", "-t", tag, str(ROOT)], check=True, timeout=ENGINE_TIMEOUT_S)
    try:
        usage = subprocess.run(["docker", "run", "--rm", tag, "--help"], capture_output=True, text=True,
                               timeout=300, check=True)
        assert "check" in usage.stdout and "selftest" in usage.stdout
        user = subprocess.run(["docker", "run", "--rm", "--entrypoint", "id", tag, "-u"], capture_output=True,
                              text=True, timeout=300, check=True)
        assert user.stdout.strip() not in {"", "0"}
        check = subprocess.run(["docker", "run", "--rm", tag, "check", "--quiet", "--profile", "ai-core"],
                               capture_output=True, text=True, timeout=600, check=False)
        assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
    finally:
        subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True, timeout=300, check=False)
