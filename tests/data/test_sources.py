"""A run's data: local folders and JSON(L)/parquet/CSV files, or a Hub name (mocked)."""

from __future__ import annotations

import json

import datasets
import pandas as pd
import pytest

from mdpo.data import preference_rows
from mdpo.data.sources import load_data_source
from mdpo.training import load_run_config

ROWS = [
    {"chosen": "The sky is blue.", "rejected": "The sky is green."},
    {"chosen": "Two plus two is four.", "rejected": "Two plus two is six."},
]


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".parquet", ".csv"])
def test_data_files(tmp_path, suffix):
    path = tmp_path / f"pairs{suffix}"
    frame = pd.DataFrame(ROWS)
    if suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    elif suffix == ".json":
        path.write_text(json.dumps(ROWS))
    elif suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False)
    ds = load_data_source(path)
    assert ds.to_list() == ROWS
    assert preference_rows(ds)[1]["prompt"] == "Two plus two is"


def test_folders(tmp_path):
    splits = datasets.DatasetDict(
        {"train": datasets.Dataset.from_list(ROWS), "test": datasets.Dataset.from_list(ROWS[:1])}
    )
    splits.save_to_disk(tmp_path / "saved")
    assert len(load_data_source(tmp_path / "saved")) == 2
    assert len(load_data_source(tmp_path / "saved", split="test")) == 1
    with pytest.raises(ValueError, match=r"split 'dev' is not in .*; splits: \['train', 'test'\]"):
        load_data_source(tmp_path / "saved", split="dev")
    files = tmp_path / "files"
    files.mkdir()
    pd.DataFrame(ROWS).to_parquet(files / "train.parquet")
    assert load_data_source(files).to_list() == ROWS


def test_refusals(tmp_path):
    (tmp_path / "pairs.txt").write_text("x")
    with pytest.raises(ValueError, match=r"unsupported suffix \(\.txt\); mdpo reads \.json"):
        load_data_source(tmp_path / "pairs.txt", name="dimensions['a'].data")
    with pytest.raises(FileNotFoundError, match="missing.parquet' does not exist"):
        load_data_source(tmp_path / "missing.parquet")


def test_hub_name_goes_to_load_dataset(monkeypatch):
    calls = []

    def fake_load_dataset(path, *args, **kwargs):
        calls.append((path, args, kwargs))
        return datasets.Dataset.from_list(ROWS)

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    ds = load_data_source("trl-lib/ultrafeedback_binarized", split="test")
    assert calls == [("trl-lib/ultrafeedback_binarized", (), {"split": "test"})]
    assert ds.to_list() == ROWS


def test_hub_failure_names_the_source(monkeypatch):
    def offline(path, *args, **kwargs):
        raise ConnectionError("Couldn't reach the Hub (offline mode)")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    match = r"dimensions\['a'\].data 'org/pairs' is no local file.*offline"
    with pytest.raises(ValueError, match=match):
        load_data_source("org/pairs", name="dimensions['a'].data")


def test_run_config_keeps_hub_names_and_resolves_files(tmp_path):
    (tmp_path / "pairs.csv").write_text("chosen,rejected\nab,ac\n")
    cfg_path = tmp_path / "run.yaml"
    cfg_path.write_text(
        "dimensions:\n"
        "  - {name: a, objective: dpo, data: pairs.csv, eval_data: pairs.csv}\n"
        "  - {name: b, objective: dpo, data: org/pairs, split: test}\n"
    )
    cfg = load_run_config(cfg_path)
    assert cfg.dimensions[0].data == str(tmp_path / "pairs.csv")
    assert cfg.dimensions[0].eval_data == str(tmp_path / "pairs.csv")
    assert (cfg.dimensions[1].data, cfg.dimensions[1].split) == ("org/pairs", "test")
