"""No shipped file cites a design document users do not have (the docs' conventions page does)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ["mdpo", "adapters", "aggregators", "benchmarks", "docs", "tests", "README.md"]
SUFFIXES = {".py", ".md", ".rst", ".json", ".yaml", ".yml", ".txt", ".html"}
CITATION = re.compile(r"DESIGN(\.md| ?§| \\u00a7)")


def _files():
    for top in SHIPPED:
        path = ROOT / top
        candidates = [path] if path.is_file() else path.rglob("*")
        for file in candidates:
            if file.suffix in SUFFIXES and "_build" not in file.parts and file.is_file():
                yield file


def test_no_design_document_is_cited():
    offenders = [
        f"{file.relative_to(ROOT)}:{i}"
        for file in _files()
        if file.name != Path(__file__).name
        for i, line in enumerate(file.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if CITATION.search(line)
    ]
    assert not offenders, f"cite the docs' conventions page instead: {offenders}"


def test_the_conventions_page_is_in_the_guide():
    page = ROOT / "docs" / "guide" / "conventions.md"
    assert page.is_file()
    assert "conventions" in (ROOT / "docs" / "guide" / "index.md").read_text().split()
    text = page.read_text()
    assert "How fronts are compared" in text and "importance" in text
