"""The benchmark-results page lists whatever is committed under docs/results/, or says none is."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[2] / "docs" / "conf.py"


@pytest.fixture(scope="module")
def conf():
    """docs/conf.py loaded from its file (no sys.path change)."""
    spec = importlib.util.spec_from_file_location("mdpo_docs_conf", CONF)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_results_the_page_says_how_to_get_them(conf, tmp_path):
    text = conf._results_markdown(tmp_path)
    assert "No benchmark results are committed yet" in text
    (tmp_path / "results" / "empty").mkdir(parents=True)
    assert conf._results_markdown(tmp_path) == text


def test_each_run_folder_gets_its_report_figures_and_raw_numbers(conf, tmp_path):
    quick = tmp_path / "results" / "quick"
    quick.mkdir(parents=True)
    (quick / "report.md").write_text("# Quick\n\n![front](front_bandit2.png)\n", encoding="utf-8")
    (quick / "front_bandit2.png").write_bytes(b"\x89PNG")
    (quick / "curve.png").write_bytes(b"\x89PNG")
    (quick / "results.json").write_text("{}", encoding="utf-8")
    only_json = tmp_path / "results" / "bandit10"
    only_json.mkdir()
    (only_json / "results.json").write_text("{}", encoding="utf-8")

    text = conf._results_markdown(tmp_path)

    assert "No benchmark results" not in text
    assert text.index("## `bandit10`") < text.index("## `quick`")
    assert "```{include} results/quick/report.md" in text
    assert ":relative-images:" in text and ":heading-offset: 2" in text
    # The figure the report already shows is not repeated; the other one is added.
    assert "![curve](results/quick/curve.png)" in text
    assert "results/quick/front_bandit2.png" not in text
    assert "{download}`results.json <results/quick/results.json>`" in text
    assert "{download}`results.json <results/bandit10/results.json>`" in text
    assert "results/bandit10/report.md" not in text


def test_marker_is_replaced_only_on_the_results_page(conf, tmp_path):
    class App:
        srcdir = str(tmp_path)

    page = [f"# Results\n\n{conf._RESULTS_MARKER}\n"]
    conf._include_results(App(), "results", page)
    assert conf._RESULTS_MARKER not in page[0]
    assert "No benchmark results are committed yet" in page[0]
    other = [f"text {conf._RESULTS_MARKER}"]
    conf._include_results(App(), "overview", other)
    assert other == [f"text {conf._RESULTS_MARKER}"]
    results_page = (CONF.parent / "results.md").read_text(encoding="utf-8")
    assert conf._RESULTS_MARKER in results_page
