import json

import pytest

from mdpo.adapters import PanaceaConfig


def test_defaults_and_scaling():
    cfg = PanaceaConfig()
    assert (cfg.r, cfg.n_dims, cfg.target_modules, cfg.lora_dropout) == (2, 2, None, 0.0)
    assert (cfg.pref_rank, cfg.init) == (4, "lora")  # chosen on the validation sweep
    assert cfg.total_rank == 10
    assert cfg.scaling == 1.0
    assert PanaceaConfig(r=6, n_dims=2, pref_rank=1, lora_alpha=16).scaling == 2.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"r": 3, "n_dims": 5, "target_modules": ["q_proj", "v_proj"], "lora_alpha": 4.0},
        {"target_modules": r".*\.mlp\..*", "lora_dropout": 0.1, "init_scale": 0.5},
        {"r": 2, "init": "lora"},
    ],
)
def test_json_roundtrip(kwargs):
    cfg = PanaceaConfig(**kwargs)
    again = PanaceaConfig.from_json(cfg.to_json())
    assert again == cfg
    assert json.loads(cfg.to_json()) == cfg.to_dict()
    # Extra keys of a saved adapter_config.json are ignored.
    assert PanaceaConfig.from_dict({**cfg.to_dict(), "peft_type": "PANACEA"}) == cfg


@pytest.mark.parametrize(
    ("kwargs", "exc", "needle"),
    [
        ({"r": 0}, ValueError, "r must be an int >= 1, got 0"),
        ({"r": 2.0}, TypeError, "r must be an int"),
        ({"r": True}, TypeError, "r must be an int"),
        ({"n_dims": 0}, ValueError, "n_dims must be an int >= 1, got 0"),
        ({"lora_alpha": 0}, ValueError, "lora_alpha must be a real number > 0, got 0"),
        ({"lora_alpha": "8"}, TypeError, "lora_alpha"),
        ({"lora_dropout": 1.0}, ValueError, "lora_dropout must be a real number in [0, 1)"),
        ({"lora_dropout": -0.1}, ValueError, "lora_dropout"),
        ({"init_scale": 0.0}, ValueError, "init_scale"),
        ({"init_scale": float("nan")}, ValueError, "init_scale"),
        ({"init": "pissa"}, ValueError, "init must be one of ['svd', 'lora'], got 'pissa'"),
        ({"init": None}, ValueError, "init must be one of"),
        ({"target_modules": "("}, ValueError, "does not compile"),
        ({"target_modules": []}, ValueError, "non-empty list"),
        ({"target_modules": ["q_proj", ""]}, ValueError, "non-empty strings"),
        ({"target_modules": 3}, TypeError, "target_modules must be None"),
    ],
)
def test_bad_values_are_refused(kwargs, exc, needle):
    with pytest.raises(exc, match=None) as info:
        PanaceaConfig(**kwargs)
    assert needle in str(info.value)


def test_from_dict_type_check():
    with pytest.raises(TypeError, match="mapping"):
        PanaceaConfig.from_dict(["r", 3])
