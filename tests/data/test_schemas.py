import datasets
import pytest

from mdpo.data import (
    PairedDPOConfig,
    label_to_index,
    validate_dpo,
    validate_paired_dpo,
    validate_prompts,
    validate_sft,
)

PAIRED = [
    {"prompt": "Q", "response_0": "a", "response_1": "b", "better": 0, "safer": -1},
    {"prompt": "Q", "response_0": "a", "response_1": "b", "better": 1, "safer": None},
]
LABELS = {"helpful": "better", "harmless": "safer"}


CHAT = [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]
# (validator, valid rows, the same rows with one thing broken)
VALIDATION_CASES = {
    "paired": (
        lambda ds: validate_paired_dpo(ds, LABELS),
        PAIRED,
        [PAIRED[0], dict(PAIRED[1], better=2)],
    ),
    "dpo": (
        validate_dpo,
        [{"prompt": "Q", "chosen": "a", "rejected": "b"}],
        [{"prompt": "Q", "chosen": "a", "rejected": 3}],
    ),
    "sft": (
        validate_sft,
        [{"prompt": "Q", "completion": "a"}],
        [{"prompt": "Q", "completion": 3}],
    ),
    "sft-messages": (validate_sft, [{"messages": CHAT}], [{"messages": "Q"}]),
    "prompts": (validate_prompts, [{"prompt": CHAT[:1]}], [{"prompt": 5}]),
}


@pytest.mark.parametrize("as_dataset", [False, True])
@pytest.mark.parametrize("case", list(VALIDATION_CASES))
def test_valid_data_passes_and_the_same_data_broken_does_not(as_dataset, case):
    validate, valid, broken = VALIDATION_CASES[case]

    def wrap(rows):
        return datasets.Dataset.from_list(rows) if as_dataset else rows

    assert validate(wrap(valid)) is None
    with pytest.raises(ValueError, match="must hold|must be"):
        validate(wrap(broken))


@pytest.mark.parametrize("as_dataset", [False, True])
def test_missing_column_is_named_with_the_columns_present(as_dataset):
    rows = [{"prompt": "Q", "response_0": "a", "better": 0, "safer": 1}]
    ds = datasets.Dataset.from_list(rows) if as_dataset else rows
    with pytest.raises(ValueError, match="missing column 'response_1'") as err:
        validate_paired_dpo(ds, LABELS)
    assert "columns present: ['prompt', 'response_0', 'better', 'safer']" in str(err.value)


def test_missing_label_column_and_bad_labels():
    with pytest.raises(ValueError, match="missing column 'safe_id'"):
        validate_paired_dpo(PAIRED, {"harmless": "safe_id"})
    bad = [dict(PAIRED[0], better=2)]
    with pytest.raises(
        ValueError,
        match=r"label column 'better' \(dimension 'helpful'\) must hold 0, 1, -1 or None, "
        r"got 2 in row 0",
    ):
        validate_paired_dpo(bad, LABELS)
    with pytest.raises(ValueError, match="got 'yes' in row 0"):
        validate_paired_dpo([dict(PAIRED[0], better="yes")], LABELS)


def test_label_masking_values():
    assert [label_to_index(v) for v in (0, 1, -1, None)] == [0, 1, -1, -1]
    with pytest.raises(ValueError, match="label must be 0, 1, -1 or None, got 3"):
        label_to_index(3)


def test_ill_typed_columns_are_named():
    with pytest.raises(
        ValueError, match="column 'chosen' must hold a str or a list of .* for DPO data, got int 3"
    ):
        validate_dpo([{"prompt": "Q", "chosen": 3, "rejected": "b"}])
    with pytest.raises(ValueError, match="column 'prompt' must hold a str or a list of"):
        validate_prompts([{"prompt": 5}])
    with pytest.raises(
        ValueError, match="column 'completion' must hold a str or a list of .* for SFT data"
    ):
        validate_sft([{"prompt": "Q", "completion": None}])
    with pytest.raises(ValueError, match="must hold conversations ending with an assistant turn"):
        validate_sft([{"messages": [{"role": "user", "content": "Q"}]}])
    with pytest.raises(ValueError, match="missing column 'completion' required for SFT data"):
        validate_sft([{"prompt": "Q"}])


def test_not_a_dataset_or_empty():
    with pytest.raises(
        TypeError, match="dataset must be a datasets.Dataset or a list of dict rows"
    ):
        validate_dpo("prompt,chosen,rejected")
    with pytest.raises(ValueError, match="dataset is empty"):
        validate_dpo([])
    with pytest.raises(TypeError, match=r"dataset\[0\] must be a dict row, got str"):
        validate_dpo(["x"])


def test_paired_config():
    cfg = PairedDPOConfig.pku_saferlhf()
    assert cfg.dim_names == ["helpful", "harmless"]
    assert cfg.response_columns == ("response_0", "response_1")
    with pytest.raises(ValueError, match="label_columns must name at least one dimension"):
        PairedDPOConfig({})
    with pytest.raises(TypeError, match="label_columns must map dimension names"):
        PairedDPOConfig({"helpful": 3})
    with pytest.raises(ValueError, match="response_columns must name exactly two columns"):
        PairedDPOConfig({"h": "h"}, response_columns=("a", "b", "c"))
