"""Path containment shared by run folders, suite outputs and manifest adapter paths."""

from __future__ import annotations

import os

import pytest

from mdpo._paths import resolve_inside
from mdpo.benchmarks.config import output_path


def test_resolve_inside_accepts_paths_below_the_root(tmp_path):
    assert resolve_inside(tmp_path, "a", "b") == (tmp_path / "a" / "b").resolve()
    assert resolve_inside(tmp_path, "a/../b") == (tmp_path / "b").resolve()


@pytest.mark.parametrize("parts", [("..",), ("a", "../../x"), ("/etc",), ("",), (".",)])
def test_resolve_inside_refuses_escapes_and_the_root_itself(tmp_path, parts):
    assert resolve_inside(tmp_path, *parts) is None


def test_resolve_inside_allows_the_root_on_request(tmp_path):
    assert resolve_inside(tmp_path, ".", allow_root=True) == tmp_path.resolve()
    assert resolve_inside(tmp_path, "..", allow_root=True) is None


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_resolve_inside_follows_symlinks_out(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)
    assert resolve_inside(root, "link", "file") is None


def test_output_path_names_the_escaping_path(tmp_path):
    assert output_path(tmp_path, "parts", "x.json") == (tmp_path / "parts" / "x.json").resolve()
    with pytest.raises(ValueError, match="escapes the output directory"):
        output_path(tmp_path, "..", "x.json")
