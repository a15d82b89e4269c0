"""TRL's dataset formats and containers are read into the rows the objectives take."""

from __future__ import annotations

import datasets
import pandas as pd
import pytest
import torch

from mdpo.conditioning import AdapterConditioning
from mdpo.data import as_rows, extract_prompt, preference_rows, sft_rows
from mdpo.objectives import DPOObjective, MultiObjective, SFTObjective

USER = {"role": "user", "content": "What color is the sky?"}


@pytest.fixture(scope="module")
def tok():
    from mdpo.testing import tiny_chat_tokenizer

    return tiny_chat_tokenizer()


@pytest.fixture(scope="module")
def panacea_1():
    from mdpo.adapters import PanaceaConfig, get_panacea_model
    from mdpo.testing import tiny_causal_lm

    return get_panacea_model(tiny_causal_lm("llama"), PanaceaConfig(r=2, n_dims=1)).eval()


def _assistant(text):
    return [{"role": "assistant", "content": text}]


STANDARD_EXPLICIT = [{"prompt": "The sky is", "chosen": " blue.", "rejected": " green."}]
STANDARD_IMPLICIT = [{"chosen": "The sky is blue.", "rejected": "The sky is green."}]
CONV_EXPLICIT = [
    {"prompt": [USER], "chosen": _assistant("Blue."), "rejected": _assistant("Green.")}
]
CONV_IMPLICIT = [
    {"chosen": [USER, *_assistant("Blue.")], "rejected": [USER, *_assistant("Green.")]}
]


def test_standard_implicit_prompt_is_the_shared_beginning():
    row = preference_rows(STANDARD_IMPLICIT)[0]
    # As TRL's extract_prompt: the space before the split goes with the responses.
    assert (row["prompt"], row["chosen"], row["rejected"]) == ("The sky is", " blue.", " green.")


def test_conversational_implicit_prompt_is_the_shared_messages():
    row = preference_rows(CONV_IMPLICIT)[0]
    assert row["prompt"] == [USER]
    assert row["chosen"] == _assistant("Blue.") and row["rejected"] == _assistant("Green.")


def test_explicit_rows_are_returned_untouched():
    assert preference_rows(STANDARD_EXPLICIT) is STANDARD_EXPLICIT
    assert preference_rows(CONV_EXPLICIT) is CONV_EXPLICIT


@pytest.mark.parametrize(
    "rows", [STANDARD_EXPLICIT, STANDARD_IMPLICIT, CONV_EXPLICIT, CONV_IMPLICIT]
)
def test_every_preference_format_gives_the_same_dpo_loss_as_explicit(rows, tok, panacea_1):
    """The four formats of one pair train on the same tokens: one loss per format family."""
    standard = rows in (STANDARD_EXPLICIT, STANDARD_IMPLICIT)
    reference = STANDARD_EXPLICIT if standard else CONV_EXPLICIT
    multi = MultiObjective.single(DPOObjective("helpful"), rows)
    ref = MultiObjective.single(DPOObjective("helpful"), reference)
    lam = torch.ones(1, 1)
    kwargs = {"tokenizer": tok, "conditioning": AdapterConditioning()}
    with torch.no_grad():
        got = multi(panacea_1, [0], 0, lam, **kwargs).losses
        want = ref(panacea_1, [0], 0, lam, **kwargs).losses
    assert torch.equal(got, want)


def test_sft_formats():
    assert sft_rows([{"text": "Dear sir."}])[0]["completion"] == "Dear sir."
    conv = [{"prompt": [USER], "completion": _assistant("Blue.")}]
    assert sft_rows(conv) is conv
    SFTObjective("formal").validate_data(sft_rows(conv))
    msgs = [{"messages": [USER, *_assistant("Blue.")]}]
    SFTObjective("formal").validate_data(sft_rows(msgs))
    SFTObjective("formal").validate_data(sft_rows([{"text": "Dear sir."}]))


def test_sft_text_rows_train(tok, panacea_1):
    multi = MultiObjective.single(SFTObjective(), [{"text": "Dear sir."}, {"text": "Madam."}])
    with torch.no_grad():
        lam = torch.ones(2, 1)
        out = multi(panacea_1, [0, 1], 0, lam, tokenizer=tok, conditioning=AdapterConditioning())
    assert out.mask.all() and torch.isfinite(out.losses).all() and (out.losses > 0).all()


def test_containers_are_read():
    frame = pd.DataFrame(STANDARD_IMPLICIT * 3)
    assert preference_rows(frame)[2]["prompt"] == "The sky is"
    stream = datasets.Dataset.from_list(CONV_IMPLICIT * 2).to_iterable_dataset()
    assert preference_rows(stream)[1]["chosen"] == _assistant("Blue.")
    columns = {k: [v] for k, v in STANDARD_EXPLICIT[0].items()}
    assert as_rows(columns)[0] == STANDARD_EXPLICIT[0]
    ds = datasets.Dataset.from_list(STANDARD_EXPLICIT)
    assert as_rows(ds) is ds


def test_container_refusals():
    splits = datasets.DatasetDict({"train": datasets.Dataset.from_list(STANDARD_EXPLICIT)})
    with pytest.raises(TypeError, match=r"train_dataset is a DatasetDict .*\['train'\]"):
        as_rows(splits, name="train_dataset")
    with pytest.raises(TypeError, match="must be a datasets.Dataset.*got int"):
        as_rows(3)
    with pytest.raises(TypeError, match="dict of columns"):
        as_rows({"prompt": "Q", "chosen": "a"})
    with pytest.raises(ValueError, match="dataset is empty"):
        as_rows([])
    with pytest.raises(TypeError, match=r"dataset\[0\] must be a dict row, got str"):
        as_rows(["prompt"])


def test_format_refusals_name_the_row_and_column():
    kto = [{"prompt": "Q", "completion": "a", "label": True}]
    with pytest.raises(ValueError, match="unpaired preference data .*KTO"):
        preference_rows(kto)
    with pytest.raises(ValueError, match=r"matches no preference format.*\['prompt', 'answer'\]"):
        preference_rows([{"prompt": "Q", "answer": "a"}])
    bad = preference_rows([STANDARD_IMPLICIT[0], {"chosen": "same", "rejected": 7}])
    with pytest.raises(ValueError, match="row 1 column 'rejected' must hold a str or a list"):
        bad[1]
    with pytest.raises(ValueError, match="row 0: chosen and rejected must differ"):
        preference_rows([{"chosen": "same", "rejected": "same"}])[0]
    with pytest.raises(ValueError, match="row 0 column 'text' must hold a non-empty str"):
        sft_rows([{"text": 3}])[0]
    with pytest.raises(ValueError, match=r"components\[0\] \(helpful\): .*row 0 column 'chosen'"):
        MultiObjective.single(DPOObjective("helpful"), [{"chosen": 1, "rejected": "b"}])


def test_extract_prompt_refuses_mixed_kinds():
    with pytest.raises(ValueError, match="both be strings or both be conversations"):
        extract_prompt("a", [USER])
