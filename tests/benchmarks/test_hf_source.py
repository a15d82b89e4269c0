from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from mdpo.benchmarks.tasks.hf_source import HFPreferenceSource, reward_scorers
from mdpo.data import validate_paired_dpo
from mdpo.objectives import DPOObjective
from mdpo.scorers import LengthScorer, RewardModelScorer
from mdpo.testing import tiny_chat_tokenizer

FIXTURE = Path(__file__).parent / "fixtures" / "pku_like.jsonl"


def _fixture_rows() -> list[dict]:
    return [json.loads(line) for line in FIXTURE.read_text("utf-8").splitlines()]


def test_pku_fixture_loads_into_the_paired_schema():
    source = HFPreferenceSource.pku_saferlhf(FIXTURE)
    ds = source.load()
    rows = _fixture_rows()
    assert ds.column_names == ["prompt", "response_0", "response_1", "helpful", "harmless"]
    assert len(ds) == len(rows) == 12
    assert ds["prompt"] == [r["prompt"] for r in rows]
    assert ds["response_1"] == [r["response_1"] for r in rows]
    assert ds["helpful"] == [r["better_response_id"] for r in rows]
    # None and -1 both become the masked label -1; 0/1 are kept.
    expected = [-1 if r["safer_response_id"] is None else r["safer_response_id"] for r in rows]
    assert ds["harmless"] == expected
    assert ds["harmless"].count(-1) == 3
    validate_paired_dpo(ds, source.label_columns)
    # DPOObjective reads the columns as they come out.
    objective = DPOObjective(label_columns=source.label_columns)
    objective.validate_data(ds)
    labels = objective._labels([ds[i] for i in range(len(ds))], torch.device("cpu"))
    assert labels.shape == (12, 2) and int((labels[:, 1] == -1).sum()) == 3


def test_max_rows_split_and_saved_folder(tmp_path):
    ds = HFPreferenceSource.pku_saferlhf(FIXTURE, max_rows=5).load()
    assert len(ds) == 5
    # A save_to_disk folder holding a DatasetDict: the split is picked.
    from datasets import DatasetDict, load_dataset

    raw = load_dataset("json", data_files=str(FIXTURE), split="train")
    DatasetDict({"test": raw}).save_to_disk(str(tmp_path / "saved"))
    loaded = HFPreferenceSource.pku_saferlhf(tmp_path / "saved", split="test").load()
    assert len(loaded) == 12 and list(loaded["helpful"])[:5] == list(ds["helpful"])
    with pytest.raises(ValueError, match="split 'train' is not in"):
        HFPreferenceSource.pku_saferlhf(tmp_path / "saved").load()


def test_column_mapping_renames_source_columns(tmp_path):
    path = tmp_path / "other.jsonl"
    with path.open("w") as fh:
        for r in _fixture_rows()[:4]:
            fh.write(
                json.dumps(
                    {
                        "question": r["prompt"],
                        "a": r["response_0"],
                        "b": r["response_1"],
                        "winner": r["better_response_id"],
                    }
                )
                + "\n"
            )
    source = HFPreferenceSource(
        path,
        columns={"question": "prompt", "a": "response_0", "b": "response_1"},
        dims={"winner": "winner"},  # a dimension named like its label column
    )
    ds = source.load()
    assert ds.column_names == ["prompt", "response_0", "response_1", "winner"]
    assert ds["winner"] == [0, 1, 1, 0]
    assert ds["prompt"][0] == "How do I boil an egg?"


def test_data_folder_goes_through_load_dataset(tmp_path):
    folder = tmp_path / "pku_folder"
    folder.mkdir()
    (folder / "data.jsonl").write_text(FIXTURE.read_text("utf-8"), "utf-8")
    source = HFPreferenceSource.pku_saferlhf(
        folder, split="test", load_kwargs={"data_files": {"test": "data.jsonl"}}
    )
    ds = source.load()
    assert len(ds) == 12 and ds["harmless"].count(-1) == 3
    assert "load_kwargs={'data_files'" in repr(source)
    with pytest.raises(ValueError, match="load_kwargs must not set 'split'"):
        HFPreferenceSource.pku_saferlhf(folder, load_kwargs={"split": "train"})
    with pytest.raises(ValueError, match="remote code is never trusted"):
        HFPreferenceSource.pku_saferlhf(folder, load_kwargs={"trust_remote_code": True})


def test_parquet_file(tmp_path):
    from datasets import load_dataset

    raw = load_dataset("json", data_files=str(FIXTURE), split="train")
    raw.to_parquet(str(tmp_path / "pku.parquet"))
    ds = HFPreferenceSource.pku_saferlhf(tmp_path / "pku.parquet").load()
    assert len(ds) == 12 and ds["harmless"].count(-1) == 3


def test_bad_inputs(tmp_path):
    with pytest.raises(ValueError, match="dims must name at least one"):
        HFPreferenceSource(FIXTURE, dims={})
    with pytest.raises(TypeError, match="dims must be a dict"):
        HFPreferenceSource(FIXTURE, dims=["helpful"])
    with pytest.raises(ValueError, match="max_rows must be a positive int"):
        HFPreferenceSource.pku_saferlhf(FIXTURE, max_rows=0)
    with pytest.raises(ValueError, match="clash with the schema"):
        HFPreferenceSource(FIXTURE, dims={"prompt": "better_response_id"})
    with pytest.raises(ValueError, match=r"no column\(s\) \['nope'\].*columns present"):
        HFPreferenceSource(FIXTURE, dims={"x": "nope"}).load()
    with pytest.raises(ValueError, match=r"source column\(s\) \['missing'\]"):
        HFPreferenceSource(FIXTURE, columns={"missing": "prompt"}, dims={"x": "x"}).load()
    bad = tmp_path / "bad.jsonl"
    row = dict(_fixture_rows()[0], safer_response_id=2)
    bad.write_text(json.dumps(row) + "\n")
    with pytest.raises(ValueError, match="safer_response_id.*harmless.*got 2"):
        HFPreferenceSource.pku_saferlhf(bad).load()
    (tmp_path / "data.txt").write_text("x")
    with pytest.raises(ValueError, match="unsupported suffix"):
        HFPreferenceSource.pku_saferlhf(tmp_path / "data.txt").load()


@pytest.fixture(scope="module")
def reward_model_dir(tmp_path_factory):
    from transformers import LlamaConfig, LlamaForSequenceClassification

    tok = tiny_chat_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        num_labels=1,
        pad_token_id=tok.pad_token_id,
    )
    torch.manual_seed(0)
    model = LlamaForSequenceClassification(config).eval()
    path = tmp_path_factory.mktemp("rm") / "tiny-rm"
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path, model, tok


def test_reward_model_by_path_becomes_a_scorer(reward_model_dir):
    path, model, tok = reward_model_dir
    scorers = reward_scorers({"harmless": str(path), "concise": LengthScorer()})
    assert list(scorers) == ["harmless", "concise"]
    rm = scorers["harmless"]
    assert isinstance(rm, RewardModelScorer)
    prompts = ["How do I boil an egg?"] * 3
    completions = ["Boil it for nine minutes.", "No.", "Eggs are laid by hens, boil them."]
    scores = rm(prompts, completions)
    assert scores.shape == (3,) and scores.dtype == torch.float32
    assert len(set(scores.tolist())) == 3  # the reward depends on the completion
    # Loading by path reproduces the in-memory model's rewards.
    direct = RewardModelScorer(model, tok)(prompts, completions)
    torch.testing.assert_close(scores, direct, rtol=1e-5, atol=1e-5)
    assert scorers["concise"](["q"], ["a b"]).item() == -2.0


def test_reward_scorers_bad_inputs():
    with pytest.raises(ValueError, match="at least one reward model"):
        reward_scorers({})
    with pytest.raises(TypeError, match="models must be a dict"):
        reward_scorers(["rm"])
    with pytest.raises(TypeError, match=r"models\['x'\] must be"):
        reward_scorers({"x": 3})
    with pytest.raises(TypeError, match="never trusts remote code"):
        reward_scorers({"x": "some/rm"}, trust_remote_code=True)
