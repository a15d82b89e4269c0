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


def _tree(root) -> dict[str, str]:
    """``{relative path: text}`` of every file below ``root``."""
    return {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}


def test_a_folder_appears_complete_with_the_umask_mode(tmp_path, umask):
    from mdpo._io import atomic_replace_dir

    umask(0o022)
    with atomic_replace_dir(tmp_path / "out") as tmp:
        assert tmp.parent == tmp_path and not (tmp_path / "out").exists()  # not yet in place
        (tmp / "sub").mkdir()
        (tmp / "sub" / "a.txt").write_text("a")
    assert _tree(tmp_path / "out") == {"sub/a.txt": "a"}
    assert _mode(tmp_path / "out") == 0o755  # not mkdtemp's 0700
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder left


def test_an_error_mid_write_leaves_the_target_absent_or_as_it_was(tmp_path):
    from mdpo._io import atomic_replace_dir

    with pytest.raises(KeyboardInterrupt), atomic_replace_dir(tmp_path / "out") as tmp:
        (tmp / "half.bin").write_bytes(b"half")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []  # absent, and the temporary folder is gone
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "v.txt").write_text("1")
    with (
        pytest.raises(RuntimeError, match="disk full"),
        atomic_replace_dir(tmp_path / "old") as tmp,
    ):
        (tmp / "v.txt").write_text("2")
        raise RuntimeError("disk full")
    assert _tree(tmp_path / "old") == {"v.txt": "1"}
    assert [p.name for p in tmp_path.iterdir()] == ["old"]


def test_an_existing_folder_is_replaced_whole(tmp_path):
    from mdpo._io import atomic_replace_dir

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "stale.txt").write_text("old")
    (tmp_path / "out" / "v.txt").write_text("1")
    with atomic_replace_dir(tmp_path / "out") as tmp:
        (tmp / "v.txt").write_text("2")
    assert _tree(tmp_path / "out") == {"v.txt": "2"}  # the stale file went with the old folder
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_keep_keeps_another_writers_folder(tmp_path):
    from mdpo._io import atomic_replace_dir

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "v.txt").write_text("theirs")
    with atomic_replace_dir(tmp_path / "out", keep=lambda p: (p / "v.txt").exists()) as tmp:
        (tmp / "v.txt").write_text("ours")
    assert _tree(tmp_path / "out") == {"v.txt": "theirs"}
    with atomic_replace_dir(tmp_path / "out", keep=lambda p: False) as tmp:
        (tmp / "v.txt").write_text("ours")
    assert _tree(tmp_path / "out") == {"v.txt": "ours"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_failed_rename_puts_the_old_folder_back_or_keeps_a_racing_one(tmp_path, monkeypatch):
    from mdpo import _io

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "v.txt").write_text("1")
    real_replace = os.replace

    def failing(src, dst):
        if str(src).endswith(".tmp"):  # the new folder's rename into place
            raise OSError("rename failed")
        real_replace(src, dst)

    monkeypatch.setattr(_io.os, "replace", failing)
    with (
        pytest.raises(OSError, match="rename failed"),
        _io.atomic_replace_dir(tmp_path / "out") as tmp,
    ):
        (tmp / "v.txt").write_text("2")
    assert _tree(tmp_path / "out") == {"v.txt": "1"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]

    def racing(src, dst):  # another process renames its complete copy in first
        if str(src).endswith(".tmp"):
            (tmp_path / "new").mkdir()
            (tmp_path / "new" / "v.txt").write_text("theirs")
            raise OSError("directory not empty")
        real_replace(src, dst)

    monkeypatch.setattr(_io.os, "replace", racing)
    with _io.atomic_replace_dir(tmp_path / "new", keep=lambda p: p.is_dir()) as tmp:
        (tmp / "v.txt").write_text("ours")
    assert _tree(tmp_path / "new") == {"v.txt": "theirs"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new", "out"]
