"""Hub and peft interop: push_to_hub (mocked HfApi), from_pretrained(Hub id), save kwargs."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import ClassVar

import huggingface_hub
import peft
import pytest
import torch

from mdpo.adapters import PanaceaConfig, PanaceaModel, get_panacea_model
from mdpo.testing import tiny_causal_lm


def _model():
    model = get_panacea_model(tiny_causal_lm("llama"), PanaceaConfig(r=2, n_dims=2))
    with torch.no_grad():
        for p in model.adapter_parameters():
            p.add_(0.1)
    return model


class FakeApi:
    """Records what HfApi would send; snapshots the uploaded folder's files."""

    calls: ClassVar[list] = []

    def __init__(self, token=None):
        FakeApi.calls.append(("init", token))

    def create_repo(self, repo_id, **kwargs):
        FakeApi.calls.append(("create_repo", repo_id, kwargs))

    def upload_folder(self, *, repo_id, folder_path, **kwargs):
        files = {
            name: Path(folder_path, name).read_bytes() for name in sorted(os.listdir(folder_path))
        }
        FakeApi.calls.append(("upload_folder", repo_id, files, kwargs))
        return "commit-info"


@pytest.fixture
def fake_api(monkeypatch):
    FakeApi.calls = []
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    return FakeApi


def test_push_to_hub_uploads_the_adapter_and_a_card_not_the_base(fake_api):
    model = _model()
    model.base_model.config._name_or_path = "org/tiny-base"
    out = model.push_to_hub(
        "me/panacea", dim_names=["helpful", "harmless"], results={"hypervolume": 0.42}, token="t"
    )
    assert out == "commit-info"
    assert fake_api.calls[0] == ("init", "t")
    assert fake_api.calls[1] == (
        "create_repo",
        "me/panacea",
        {"private": None, "exist_ok": True, "repo_type": "model"},
    )
    _, repo, files, kwargs = fake_api.calls[2]
    assert repo == "me/panacea" and kwargs["commit_message"].startswith("Upload Panacea")
    assert sorted(files) == ["README.md", "adapter_config.json", "adapter_model.safetensors"]
    card = files["README.md"].decode()
    assert "base_model: org/tiny-base" in card and "library_name: peft" in card
    assert "`helpful`, `harmless`" in card and "set_preference" in card and "export_lora" in card
    assert "| hypervolume | 0.42 |" in card
    from safetensors.torch import load

    assert set(load(files["adapter_model.safetensors"])) == set(model.adapter_state_dict())


def test_save_pretrained_push_to_hub_uses_the_folder_name(tmp_path, fake_api):
    _model().save_pretrained(tmp_path / "my-adapter", push_to_hub=True, private=True)
    assert fake_api.calls[1][1:] == (
        "my-adapter",
        {"private": True, "exist_ok": True, "repo_type": "model"},
    )
    assert (tmp_path / "my-adapter" / "adapter_model.safetensors").is_file()


def test_save_pretrained_honours_or_refuses_every_argument(tmp_path):
    model = _model()
    with pytest.raises(ValueError, match="safe_serialization must be True.*safetensors only"):
        model.save_pretrained(tmp_path / "a", safe_serialization=False)
    with pytest.raises(ValueError, match="state_dict must be None"):
        model.save_pretrained(tmp_path / "a", state_dict={})
    with pytest.raises(TypeError, match=r"unexpected keyword arguments \['max_shard_size'\]"):
        model.save_pretrained(tmp_path / "a", max_shard_size="1GB")
    with pytest.raises(TypeError, match="without push_to_hub=True"):
        model.save_pretrained(tmp_path / "a", repo_id="me/x")
    with pytest.raises(TypeError, match=r"push_to_hub got unexpected keyword arguments \['x'\]"):
        model.push_to_hub("me/x", x=1)
    model.save_pretrained(tmp_path / "b", is_main_process=False)
    assert not (tmp_path / "b").exists()
    assert not (tmp_path / "a").exists()


def test_from_pretrained_downloads_a_hub_id(tmp_path, monkeypatch):
    model = _model()
    model.save_pretrained(tmp_path / "snapshot")
    calls = []

    def fake_snapshot_download(repo_id, **kwargs):
        calls.append((repo_id, kwargs))
        return str(tmp_path / "snapshot")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    loaded = PanaceaModel.from_pretrained(tiny_causal_lm("llama"), "me/panacea", revision="v1")
    assert calls[0][0] == "me/panacea" and calls[0][1]["revision"] == "v1"
    assert "adapter_model.safetensors" in calls[0][1]["allow_patterns"]
    for key, value in model.adapter_state_dict().items():
        assert torch.equal(loaded.adapter_state_dict()[key], value)


def test_from_pretrained_names_an_unreachable_hub_id(monkeypatch):
    def offline(repo_id, **kwargs):
        raise OSError("offline mode is enabled")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", offline)
    with pytest.raises(ValueError, match="'me/none' is no local folder.*offline mode"):
        PanaceaModel.from_pretrained(tiny_causal_lm("llama"), "me/none")
    with pytest.raises(TypeError, match="revision and token apply to a Hub id"):
        PanaceaModel.from_pretrained(tiny_causal_lm("llama"), "./local", revision="v1")


@pytest.mark.parametrize("load", ["config", "model"])
def test_plain_peft_says_to_use_mdpo(tmp_path, load):
    _model().save_pretrained(tmp_path)
    config = json.loads((tmp_path / "adapter_config.json").read_text())
    assert config["peft_type"].startswith("PANACEA")
    with pytest.raises(
        KeyError, match="use mdpo.adapters.PanaceaModel.from_pretrained.*export_lora"
    ):
        if load == "config":
            peft.PeftConfig.from_pretrained(str(tmp_path))
        else:
            peft.PeftModel.from_pretrained(tiny_causal_lm("llama"), str(tmp_path))


def test_legacy_peft_type_still_loads(tmp_path):
    model = _model()
    model.save_pretrained(tmp_path)
    path = tmp_path / "adapter_config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "peft_type": "PANACEA"}))
    loaded = PanaceaModel.from_pretrained(tiny_causal_lm("llama"), tmp_path)
    assert loaded.n_dims == 2
