"""``mdpo train``'s ``adapter:`` takes every PanaceaConfig field, derived from the dataclass."""

from __future__ import annotations

import dataclasses
import json

import pytest
import yaml

from mdpo.adapters import PanaceaConfig
from mdpo.cli.main import main
from mdpo.training import AdapterSpec, TrainRunConfig

DIMS = [{"name": "a", "objective": "sft", "data": "d.jsonl"}]


def test_every_panacea_field_but_n_dims_is_an_adapter_field():
    panacea = [f.name for f in dataclasses.fields(PanaceaConfig) if f.name != "n_dims"]
    assert [f.name for f in dataclasses.fields(AdapterSpec)] == panacea
    assert "pref_rank" in panacea
    unset = AdapterSpec()
    assert unset.r == 8 and unset.pref_rank is None  # None: PanaceaConfig's default
    assert PanaceaConfig(**unset.panacea_kwargs(3)) == PanaceaConfig(r=8, n_dims=3)


def test_pref_rank_reaches_the_trained_adapter(tiny_run):
    tmp_path, config = tiny_run
    config = {**config, "adapter": {"r": 2, "pref_rank": 2}}
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(config))
    assert main(["train", str(path)]) == 0
    saved = json.loads((tmp_path / "runs" / "tiny" / "adapter" / "adapter_config.json").read_text())
    assert saved["pref_rank"] == 2 and saved["r"] == 2


@pytest.mark.parametrize(
    ("method", "adapter", "error", "match"),
    [
        ("panacea", {"pref_rank": 0}, ValueError, "adapter: pref_rank must be an int >= 1"),
        ("panacea", {"init": "pissa"}, ValueError, "adapter: init must be one of"),
        ("panacea", {"lora_dropout": "x"}, TypeError, "adapter: lora_dropout must be"),
        ("lora", {"pref_rank": 2}, ValueError, r"fields \['pref_rank'\] apply to method 'panacea'"),
    ],
)
def test_bad_adapter_fields_are_refused_when_the_config_loads(method, adapter, error, match):
    data = {"model": "smollm2", "method": method, "dimensions": DIMS, "adapter": adapter}
    with pytest.raises(error, match=match):
        TrainRunConfig.from_dict(data)
