"""``load_policy`` for the multi-adapter manifests (RS, MOD, DPS) and bad run folders."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

IDS = torch.tensor([[5, 17, 42, 99, 3]])  # the experts fixture's logits are on these ids


def _logits(policy, lam):
    policy.set_preference(lam)
    with torch.no_grad():
        out = policy(IDS)
    return getattr(out, "logits", out)


def test_rewarded_soups_manifest(runs, experts, write_manifest):
    from mdpo.policies import RSPolicy, load_policy

    run_dir, logits = experts
    assert not torch.allclose(logits["a"], logits["b"], atol=1e-3)
    write_manifest(run_dir, "rs", experts={"a": "experts/a", "b": "experts/b"})
    policy, tok = load_policy(run_dir)
    assert isinstance(policy, RSPolicy)
    assert policy.dim_names == ["a", "b"] and policy.supported_preferences is None
    assert tok.pad_token is not None
    torch.testing.assert_close(_logits(policy, [1.0, 0.0]), logits["a"], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(_logits(policy, [0.0, 1.0]), logits["b"], atol=1e-4, rtol=1e-4)
    mid = _logits(policy, [0.5, 0.5])
    assert not torch.allclose(mid, logits["a"], atol=1e-3)
    assert not torch.allclose(mid, logits["b"], atol=1e-3)


def test_mod_manifest_mixes_the_experts_logits(runs, experts, write_manifest):
    from mdpo.policies import MODPolicy, load_policy

    run_dir, logits = experts
    write_manifest(run_dir, "mod", experts={"b": "experts/b", "a": "experts/a"})
    policy, _ = load_policy(run_dir)
    assert isinstance(policy, MODPolicy)
    expected = 0.25 * logits["a"] + 0.75 * logits["b"]
    torch.testing.assert_close(_logits(policy, [0.25, 0.75]), expected, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(_logits(policy, [1.0, 0.0]), logits["a"], atol=1e-4, rtol=1e-4)
    # The experts share one base model; each keeps its own KV cache when decoding.
    ids = torch.tensor([[2, 1, 72, 105], [1, 40, 50, 60]])
    mask = torch.tensor([[0, 1, 1, 1], [1, 1, 1, 1]])
    policy.set_preference([[0.25, 0.75], [1.0, 0.0]])
    cached = policy.generate(ids, mask, max_new_tokens=6)
    full = policy.generate(ids, mask, max_new_tokens=6, use_cache=False)
    assert cached.shape == (2, 10) and torch.equal(cached, full)


def test_dps_manifest_keys_adapters_by_grid(runs, experts, write_manifest):
    from mdpo.policies import DPSPolicy, load_policy

    run_dir, logits = experts
    write_manifest(
        run_dir, "dps", grid=[[0.0, 1.0], [1.0, 0.0]], adapters=["experts/b", "experts/a"]
    )
    policy, _ = load_policy(run_dir)
    assert isinstance(policy, DPSPolicy)
    assert policy.supported_preferences.tolist() == [[0.0, 1.0], [1.0, 0.0]]
    torch.testing.assert_close(_logits(policy, [1.0, 0.0]), logits["a"], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(_logits(policy, [0.0, 1.0]), logits["b"], atol=1e-4, rtol=1e-4)
    with pytest.raises(ValueError, match="not supported"):
        policy.set_preference([0.5, 0.5])


def test_panacea_and_lora_runs_load_their_kind(runs):
    from mdpo.policies import DPSPolicy, PanaceaPolicy, load_policy

    panacea, _ = load_policy(runs["panacea"])
    assert isinstance(panacea, PanaceaPolicy) and panacea.dim_names == ["a", "b"]
    lora, _ = load_policy(runs["lora"])
    assert isinstance(lora, DPSPolicy)
    assert lora.supported_preferences.tolist() == [[1.0, 0.0]]


@pytest.mark.parametrize(
    ("method", "fields", "words"),
    [
        ("rs", {"experts": {"a": "experts/a", "b": "../../escape"}}, "escapes the run folder"),
        ("rs", {"experts": {"a": "experts/a", "b": "/abs/b"}}, "relative to the run folder"),
        ("rs", {"experts": {"a": "experts/a"}}, "one entry per dimension ['a', 'b']"),
        ("mod", {}, "needs experts"),
        ("dps", {"grid": [[1.0, 0.0]], "adapters": ["experts/a", "experts/b"]}, "same length"),
        ("dps", {"grid": [[1.0, 1.0]], "adapters": ["experts/a"]}, "grid"),
        ("rs", {"experts": {"a": "experts/a", "b": "experts/bin"}}, "only safetensors"),
        ("rs", {"experts": {"a": "experts/a", "b": "experts"}}, "not an adapter folder"),
        ("bandit", {}, "method must be one of"),
    ],
)
def test_bad_manifests_are_refused(runs, experts, tmp_path, method, fields, words, write_manifest):
    from mdpo.policies import load_policy

    run_dir = tmp_path / "run"
    shutil.copytree(experts[0] / "experts", run_dir / "experts")
    bin_dir = run_dir / "experts" / "bin"
    shutil.copytree(run_dir / "experts" / "b", bin_dir)
    (bin_dir / "adapter_model.safetensors").rename(bin_dir / "adapter_model.bin")
    write_manifest(run_dir, method, **fields)
    with pytest.raises(ValueError, match="run.json") as info:
        load_policy(run_dir)
    assert words in str(info.value)


def test_missing_fields_and_unrecorded_lora_kind(runs, tmp_path):
    from mdpo.policies import load_policy

    (tmp_path / "run.json").write_text(json.dumps({"base_model": "x", "method": "panacea"}))
    with pytest.raises(ValueError, match="missing the field 'dimension_names'"):
        load_policy(tmp_path)
    (tmp_path / "run.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_policy(tmp_path)
    lora = tmp_path / "lora"
    shutil.copytree(runs["lora"] / "adapter", lora / "adapter")
    manifest = json.loads((runs["lora"] / "run.json").read_text())
    # run.json alone (no config.json) is enough: mdpo train records the fixed preference...
    (lora / "run.json").write_text(json.dumps(manifest))
    assert load_policy(lora)[0].supported_preferences.tolist() == [[1.0, 0.0]]
    # ...and without it nothing says which policy this is.
    del manifest["fixed_preference"]
    (lora / "run.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="needs conditioning 'prompt' or a fixed_preference"):
        load_policy(lora)


@pytest.mark.parametrize(
    ("method", "fields", "n_answers"),
    [
        ("rs", {"experts": {"a": "experts/a", "b": "experts/b"}}, 3),
        ("mod", {"experts": {"a": "experts/a", "b": "experts/b"}}, 3),
        ("dps", {"grid": [[0.0, 1.0], [1.0, 0.0]], "adapters": ["experts/b", "experts/a"]}, 2),
    ],
)
def test_mdpo_generate_works_for_multi_adapter_runs(
    runs, experts, capsys, method, fields, n_answers, write_manifest
):
    from mdpo.cli.main import main

    run_dir = experts[0]
    write_manifest(run_dir, method, **fields)
    argv = ["generate", "--model", str(run_dir), "--sweep", "3", "--json", "--max-new-tokens", "3"]
    assert main([*argv, "Hi", "Why?"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["method"] == method
    # MOD mixes logits per row, so its λ share batches; RS and DPS swap weights per λ.
    assert report["decoding"]["batched"] is (method == "mod")
    assert [len(r["answers"]) for r in report["results"]] == [n_answers, n_answers]
    assert len(report["preferences"]) == n_answers
