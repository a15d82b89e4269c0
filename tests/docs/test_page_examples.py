"""The illustrative (not executed) examples of the documentation stay in step with the code.

Runnable examples are ``{doctest}`` blocks that ``make docs`` executes. The longer ones
(training SmolLM2, YAML configs) are plain code fences; these tests check that the Python ones
compile and import only names that exist, and that the YAML run config validates.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = sorted(
    p for p in DOCS.rglob("*.md") if "_build" not in p.parts and "results" not in p.parts
)
FENCE = re.compile(r"^```(?P<lang>[^\n`]*)\n(?P<body>.*?)^```$", re.M | re.S)


def _blocks(lang: str) -> list[tuple[str, str]]:
    return [
        (f"{page.relative_to(DOCS)}#{i}", m["body"])
        for page in PAGES
        for i, m in enumerate(FENCE.finditer(page.read_text(encoding="utf-8")))
        if m["lang"].strip() == lang
    ]


PYTHON = _blocks("python")
YAML = _blocks("yaml")


def test_pages_have_examples():
    assert len(PYTHON) >= 3 and YAML
    assert any("{doctest}" in p.read_text(encoding="utf-8") for p in PAGES)


@pytest.mark.parametrize(("where", "code"), PYTHON, ids=[w for w, _ in PYTHON])
def test_python_example_compiles_and_imports_existing_names(where, code):
    tree = ast.parse(code, filename=where)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mdpo"):
            module = importlib.import_module(node.module)
            missing = [a.name for a in node.names if not hasattr(module, a.name)]
            assert not missing, f"{where}: {node.module} has no {missing}"


@pytest.mark.parametrize(("where", "code"), PYTHON, ids=[w for w, _ in PYTHON])
def test_python_example_uses_existing_keyword_arguments(where, code):
    """Keyword arguments given to mdpo classes in an example exist in their signatures."""
    import inspect

    tree = ast.parse(code, filename=where)
    imported = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mdpo"):
            module = importlib.import_module(node.module)
            imported.update({a.asname or a.name: getattr(module, a.name, None) for a in node.names})
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            target = imported.get(node.func.id)
            if target is None:
                continue
            params = inspect.signature(target).parameters
            if any(p.kind is p.VAR_KEYWORD for p in params.values()):
                continue
            unknown = [k.arg for k in node.keywords if k.arg and k.arg not in params]
            assert not unknown, f"{where}: {node.func.id} has no parameter(s) {unknown}"


def test_training_page_yaml_is_a_valid_run_config(tmp_path):
    from mdpo.training import load_run_config

    (_where, text), *_ = [(w, t) for w, t in YAML if w.startswith("guide/training")]
    path = tmp_path / "run.yaml"
    path.write_text(text, encoding="utf-8")
    cfg = load_run_config(path)
    assert [d.names for d in cfg.dimensions] == [["positive", "concise"], ["formal"], ["readable"]]
    assert cfg.aggregator == "tche"
    assert cfg.training["vertex_prob"] == 0.3
    # The config really is validated: the same text with a typo in a key is refused.
    path.write_text(text.replace("label_columns:", "label_column:"), encoding="utf-8")
    with pytest.raises((ValueError, TypeError), match="label_column"):
        load_run_config(path)


def test_benchmarks_page_yaml_is_a_valid_suite(tmp_path):
    from mdpo.benchmarks.config import load_suite

    (_where, text), *_ = [(w, t) for w, t in YAML if w.startswith("guide/benchmarks")]
    path = tmp_path / "suite.yaml"
    path.write_text(text, encoding="utf-8")
    suite = load_suite(path)
    assert [t.name for t in suite.tasks] == ["bandit2", "zdt2"]
    assert [m.kind for m in suite.methods] == ["panacea", "panacea", "rs", "dps", "mod"]
    path.write_text(text.replace("pref_batch:", "pref_batches:"), encoding="utf-8")
    with pytest.raises((ValueError, TypeError), match="pref_batches"):
        load_suite(path)
