"""The wheel holds every package folder and data file of the tree, under mdpo.* only."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
# Source folder -> installed package prefix.
MAPPING = {
    "mdpo": "mdpo",
    "aggregators": "mdpo/aggregators",
    "adapters": "mdpo/adapters",
    "benchmarks": "mdpo/benchmarks",
}
SKIP_PARTS = {"__pycache__"}
SKIP_SUFFIXES = {".pyc", ".pyo"}


def _expected_files() -> set[str]:
    expected = set()
    for src, dst in MAPPING.items():
        for path in (ROOT / src).rglob("*"):
            rel = path.relative_to(ROOT / src)
            if path.is_dir() or SKIP_PARTS & set(rel.parts) or path.suffix in SKIP_SUFFIXES:
                continue
            if src == "mdpo" and rel.parts[0] in MAPPING:  # pragma: no cover - defensive
                continue
            expected.add(f"{dst}/{rel.as_posix()}")
    return expected


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory) -> set[str]:
    if shutil.which("git") is None:  # pragma: no cover
        pytest.skip("git is needed to copy the tracked tree")
    # Build from a copy so that build/ and *.egg-info never land in the checkout.
    work = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", *MAPPING):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, work / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, work / name)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), "."],
        cwd=work,
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("mdpo-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def test_wheel_holds_every_package_and_data_file(wheel_names):
    missing = sorted(_expected_files() - wheel_names)
    assert not missing, f"files missing from the wheel: {missing}"


def test_wheel_installs_nothing_generic(wheel_names):
    tops = {name.split("/", 1)[0] for name in wheel_names if not name.endswith(".dist-info")}
    tops = {t for t in tops if not t.endswith(".dist-info")}
    assert tops == {"mdpo"}, f"unexpected top-level entries in the wheel: {sorted(tops)}"


def test_wheel_has_py_typed_and_entry_point(wheel_names):
    assert "mdpo/py.typed" in wheel_names
    assert any(n.endswith(".dist-info/entry_points.txt") for n in wheel_names)


def test_package_list_matches_tree():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    on_disk = set()
    for src, dst in MAPPING.items():
        for init in (ROOT / src).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / src)
            on_disk.add(".".join([*dst.split("/"), *rel.parts]))
    assert listed == on_disk, (
        f"listed but absent: {sorted(listed - on_disk)}; present but unlisted: "
        f"{sorted(on_disk - listed)}"
    )


def test_dependencies_are_ranges_not_pins():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    deps = list(config["project"]["dependencies"])
    for extra in config["project"]["optional-dependencies"].values():
        deps += extra
    pinned = [d for d in deps if "==" in d]
    assert not pinned, f"exact pins are not allowed: {pinned}"
    names = {d.split(">")[0].split("<")[0].split("[")[0].strip().lower() for d in deps}
    for needed in ("torch", "transformers", "peft", "datasets", "pymoo", "safetensors", "pyyaml"):
        assert needed in names


def test_bare_generic_imports_are_banned():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    banned = config["tool"]["ruff"]["lint"]["flake8-tidy-imports"]["banned-api"]
    assert {"adapters", "aggregators", "benchmarks"} <= set(banned)
    if shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists():
        pytest.skip("ruff is not installed")
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    probe = ROOT / "tests" / "_probe_banned_import.py"
    try:
        probe.write_text("import adapters\n")
        res = subprocess.run(
            [ruff, "check", "--select", "TID251", "--no-cache", str(probe)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    finally:
        probe.unlink(missing_ok=True)
    assert res.returncode != 0 and "TID251" in res.stdout
