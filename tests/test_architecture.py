"""The layers of ARCHITECTURE.md: each package imports only what it may."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NAMESPACE = "aigw_conformance"
# Each layer is a folder of the repository and a subpackage of the one installed namespace; `aigw/` (the CLI)
# is the namespace's root package itself.
LAYERS = ("aigw", "spec", "mocks", "suites", "reports")
FORBIDDEN: dict[str, set[str]] = {
    "spec": {"mocks", "suites", "reports", "aigw"},
    "mocks": {"suites", "reports", "aigw"},
    "reports": {"spec", "mocks", "suites", "aigw"},
    "suites": {"aigw"},
}
# The only suites module allowed to start the reference: the defect self-test.
SUITES_MAY_IMPORT_MOCKS = {"suites/selftest.py"}


def layer_of(module: str) -> str | None:
    """`aigw_conformance.mocks.core` -> `mocks`; `aigw_conformance.cli` -> `aigw`; anything else -> None."""
    parts = module.split(".")
    if parts[0] != NAMESPACE:
        return None
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS[1:] else "aigw"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names if node.module == NAMESPACE)
    return names


def imported_layers(path: Path) -> set[str]:
    return {layer for module in imported_modules(path) if (layer := layer_of(module))}


def test_no_module_imports_a_bare_layer_name() -> None:
    """Only the namespace is installed: `import mocks` would find a user's own `mocks/` folder, not ours."""
    offenders = []
    for package in (*LAYERS, "tests"):
        for path in sorted((ROOT / package).rglob("*.py")):
            bare = {m for m in imported_modules(path) if m.split(".")[0] in LAYERS}
            if bare:
                offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bare)}")
    assert offenders == []


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_respect_the_layers(package: str) -> None:
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        forbidden = set(FORBIDDEN[package])
        if package == "suites" and relative not in SUITES_MAY_IMPORT_MOCKS:
            forbidden.add("mocks")
        if bad := imported_layers(path) & forbidden:
            offenders.append(f"{relative} imports {sorted(bad)}")
    assert offenders == []


def test_provider_specific_code_stays_in_its_provider_folder() -> None:
    """mocks/core is provider-neutral: it must not import any provider's package."""
    providers = {p.name for p in (ROOT / "mocks").iterdir() if p.is_dir() and p.name not in {"core", "__pycache__"}}
    for path in (ROOT / "mocks" / "core").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(f"{NAMESPACE}.mocks."):
                assert node.module.split(".")[2] not in providers, f"{path.name} imports {node.module}"


def test_every_module_has_a_one_line_docstring_and_future_annotations() -> None:
    problems = []
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source)
            doc = ast.get_docstring(tree)
            if not doc or "\n" in doc.strip():
                problems.append(f"{path.relative_to(ROOT)}: needs a one-line module docstring")
            if "from __future__ import annotations" not in source and source.strip().count("\n") > 2:
                problems.append(f"{path.relative_to(ROOT)}: missing `from __future__ import annotations`")
    assert problems == []
