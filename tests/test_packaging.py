"""The installed distribution is one import package: a wheel beside a project with its own `spec`, `mocks`."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NAMESPACE = "aigw_conformance"
LAYER_FOLDERS = {"aigw": NAMESPACE, "spec": f"{NAMESPACE}.spec", "mocks": f"{NAMESPACE}.mocks",
                 "suites": f"{NAMESPACE}.suites", "reports": f"{NAMESPACE}.reports"}


def test_every_package_folder_is_in_the_wheel_list() -> None:
    """`[tool.setuptools] packages` names exactly the folders holding an `__init__.py`, mapped under the namespace."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert config["package-dir"] == {module: folder for folder, module in LAYER_FOLDERS.items()}
    folders = set()
    for folder, module in LAYER_FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder).parts
            if folder == "aigw" and relative:
                continue  # the CLI folder has no subpackages; the layers are mapped on their own
            folders.add(".".join((module, *relative)))
    assert sorted(config["packages"]) == sorted(folders)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    (built,) = out.glob("*.whl")
    return built


def test_the_wheel_holds_one_top_level_name(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = archive.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    top = {name.split("/")[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {NAMESPACE}
    assert f"{NAMESPACE}/spec/openapi.yaml" in names
    assert f"{NAMESPACE}/suites/targets/reference.toml" in names
    assert "aigw = aigw_conformance.interrupt:main" in entry_points


def test_installed_wheel_coexists_with_a_project_of_its_own_spec_mocks_reports(wheel: Path, tmp_path: Path) -> None:
    """A fresh venv holding only the wheel (its dependencies come from this venv's site-packages through a `.pth`
    line, which runs no editable finder): the project's own `spec`, `mocks` and `reports` packages import as
    themselves, and `aigw check` runs the suite against the bundled reference from the project's folder."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    ours = {p.name for p in site.iterdir()} - {"dependencies.pth"}
    assert {n for n in ours if not n.endswith(".dist-info")} == {NAMESPACE}

    project = tmp_path / "project"
    for name in ("spec", "mocks", "reports"):
        (project / name).mkdir(parents=True)
        (project / name / "__init__.py").write_text(f"OWNER = 'project-{name}'\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(project)}
    env.pop("PYTHONSAFEPATH", None)
    probe = ("import spec, mocks, reports, aigw_conformance.mocks.reference.stack, aigw_conformance.reports.model\n"
             "assert (spec.OWNER, mocks.OWNER, reports.OWNER) == ('project-spec', 'project-mocks', 'project-reports')\n"
             "assert aigw_conformance.reports.model.__file__.startswith(" + repr(str(site)) + ")\n")
    subprocess.run([str(python), "-c", probe], cwd=project, env=env, check=True, timeout=120)
    check = subprocess.run([str(env_dir / "bin" / "aigw"), "check", "--quiet", "--profile", "ai-core",
                            "--report-dir", str(tmp_path / "report")],
                           cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
    assert (tmp_path / "report" / "report.json").is_file()
