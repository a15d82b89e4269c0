"""Atomic writes give files the mode the umask asks for (0644 under 022), not mkstemp's 0600."""

from __future__ import annotations

import os
import stat

import pytest

from mdpo._io import atomic_write_json, current_umask


@pytest.fixture
def umask():
    """Set the process umask for one test and restore it after."""
    previous = os.umask(0o022)
    os.umask(previous)
    yield lambda mask: os.umask(mask)
    os.umask(previous)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_files_follow_the_umask(tmp_path, umask, mask, mode):
    umask(mask)
    assert current_umask() == mask
    atomic_write_json(tmp_path / "r.json", {"a": 1})
    assert _mode(tmp_path / "r.json") == mode
    atomic_write_json(tmp_path / "r.json", {"a": 2})  # replacing keeps the umask's mode
    assert _mode(tmp_path / "r.json") == mode
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left


def test_a_saved_adapter_is_readable_by_others(tmp_path, umask):
    from mdpo.adapters import PanaceaConfig, get_panacea_model
    from mdpo.testing import tiny_causal_lm

    umask(0o022)
    model = get_panacea_model(tiny_causal_lm("llama"), PanaceaConfig(r=2, n_dims=2))
    model.save_pretrained(tmp_path / "adapter")
    files = sorted((tmp_path / "adapter").iterdir())
    assert files, "save_pretrained wrote nothing"
    assert {p.name: _mode(p) for p in files} == {p.name: 0o644 for p in files}
