from __future__ import annotations

import math

import pytest
import torch

import mdpo.benchmarks.tasks.llm_data.build as llm_data
from mdpo.benchmarks.tasks.llm_data import (
    build_preference_data,
    pair_indices,
    preference_data_info,
    reference_logps,
    score_labels,
    summarize_dimensions,
)
from mdpo.data import PairCollator, sequence_logps, validate_paired_dpo
from mdpo.objectives import reference_column
from mdpo.scorers import LengthScorer, ProfanityScorer
from mdpo.seeding import derive_seed
from mdpo.testing import tiny_causal_lm, tiny_chat_tokenizer

PROMPTS = ["Say hi.", "Name a color.", "Count to three.", "Describe rain."]
DIMS = ("concise", "detail")
KW = {"n_samples": 3, "max_new_tokens": 16, "batch_size": 6, "seed": 3}


def _scorers():
    # Fewer vs more characters: two dimensions in exact conflict.
    return {"concise": LengthScorer("chars"), "detail": LengthScorer("chars", sign=1)}


@pytest.fixture(scope="module")
def lm():
    return tiny_causal_lm("llama"), tiny_chat_tokenizer()


@pytest.fixture(scope="module")
def built(lm):
    model, tok = lm
    return build_preference_data(
        model, tok, PROMPTS, _scorers(), tie_tolerance={"concise": 1.0}, **KW
    )


def test_schema_pairs_and_counts(built):
    ds = built
    validate_paired_dpo(ds, {d: d for d in DIMS})
    info = preference_data_info(ds)
    counts = info["counts"]
    assert counts["candidate_pairs"] == len(PROMPTS) * len(pair_indices(3)) == 12
    assert counts["pairs"] == len(ds) == 12 - counts["dropped_identical"]
    assert len(ds) > 0
    assert all(a != b for a, b in zip(ds["response_0"], ds["response_1"]))
    assert all(i < j for i, j in zip(ds["sample_0"], ds["sample_1"]))
    assert list(ds["prompt"]) == [PROMPTS[p] for p in ds["prompt_index"]]
    assert info["dims"] == list(DIMS) and info["tie_tolerance"] == {"concise": 1.0, "detail": 0.0}
    assert info["decoding"]["seed"] == 3 and info["decoding"]["max_new_tokens"] == 16


def test_labels_follow_raw_scores_and_ties_are_masked(built):
    ds = built
    info = preference_data_info(ds)
    for dim, tol in (("concise", 1.0), ("detail", 0.0)):
        s0, s1, labels = ds[f"score_0/{dim}"], ds[f"score_1/{dim}"], ds[dim]
        scorer = _scorers()[dim]
        # The raw scores are the scorer's scores of the stored texts.
        assert s0 == scorer(list(ds["prompt"]), list(ds["response_0"])).tolist()
        assert s1 == scorer(list(ds["prompt"]), list(ds["response_1"])).tolist()
        for a, b, label in zip(s0, s1, labels):
            if a - b > tol:
                assert label == 0
            elif b - a > tol:
                assert label == 1
            else:
                assert label == -1
        assert info["counts"]["ties"][dim] == list(labels).count(-1)
    assert set(ds["detail"]) >= {0, 1}  # both directions occur
    assert list(ds["concise"]).count(-1) > 0  # the tolerance produced masked ties


def test_reference_logps_equal_a_direct_computation(built, lm):
    model, tok = lm
    ds = built
    cols = [reference_column(c) for c in ("response_0", "response_1")]
    rows = [ds[i] for i in range(len(ds))]
    assert all(r[c] is not None for r in rows for c in cols)
    collate = PairCollator(tok, response_columns=("response_0", "response_1"), chat_template=True)
    batch = collate(rows)
    with torch.no_grad():
        direct, _ = sequence_logps(
            model, batch["input_ids"], batch["attention_mask"], batch["completion_mask"]
        )
    n = len(rows)
    stored = torch.tensor([[r[c] for r in rows] for c in cols], dtype=torch.float64).flatten()
    assert not torch.allclose(stored[:n], stored[n:])  # the two sides differ...
    torch.testing.assert_close(stored, direct.double(), rtol=1e-4, atol=1e-4)  # ...and match


def test_partner_dependent_truncation_leaves_reference_to_the_objective(lm):
    model, tok = lm
    prompt_len = len(PairCollator(tok, chat_template=True).prompt_ids(PROMPTS[0]))
    max_length = prompt_len + 4  # responses longer than 3 tokens force prompt truncation
    ds = build_preference_data(
        model,
        tok,
        PROMPTS[:1],
        _scorers(),
        max_length=max_length,
        n_samples=4,
        max_new_tokens=8,
        batch_size=4,
        seed=1,
    )
    col0 = list(ds[reference_column("response_0")])
    assert None in col0
    assert preference_data_info(ds)["counts"]["reference_not_precomputed"] == col0.count(None)
    collate = PairCollator(
        tok,
        response_columns=("response_0", "response_1"),
        chat_template=True,
        max_length=max_length,
    )
    for i, value in enumerate(col0):
        if value is None:
            continue
        batch = collate([ds[i]])
        with torch.no_grad():
            direct, _ = sequence_logps(
                model, batch["input_ids"], batch["attention_mask"], batch["completion_mask"]
            )
        assert value == pytest.approx(direct[0].item(), abs=1e-4)


def test_same_seed_same_data_other_seed_other_data(built, lm):
    model, tok = lm
    other = build_preference_data(model, tok, PROMPTS, _scorers(), **{**KW, "seed": 4})
    assert list(other["response_0"]) != list(built["response_0"])
    again = build_preference_data(
        model, tok, PROMPTS, _scorers(), tie_tolerance={"concise": 1.0}, **KW
    )
    assert again.to_dict() == built.to_dict()


def test_cache_reuses_samples_and_data(lm, tmp_path, monkeypatch):
    model, tok = lm
    calls = {"sample": 0, "score": 0}
    real_sample = llm_data.sample_responses

    def counting_sample(*args, **kwargs):
        calls["sample"] += 1
        return real_sample(*args, **kwargs)

    class CountingScorer(LengthScorer):
        def _score(self, prompts, completions):
            calls["score"] += 1
            return super()._score(prompts, completions)

    monkeypatch.setattr(llm_data, "sample_responses", counting_sample)
    scorers = {"concise": CountingScorer("chars"), "detail": LengthScorer("chars", sign=1)}
    first = build_preference_data(model, tok, PROMPTS, scorers, cache_dir=tmp_path, **KW)
    assert calls == {"sample": 1, "score": 1}
    names = sorted(p.name for p in tmp_path.iterdir())
    assert [n.split("-")[0] for n in names] == ["pairs", "samples"]  # no temporary leftovers
    second = build_preference_data(model, tok, PROMPTS, scorers, cache_dir=tmp_path, **KW)
    assert calls == {"sample": 1, "score": 1}  # neither generated nor scored again
    assert second.to_dict() == first.to_dict()
    assert preference_data_info(second) == preference_data_info(first)
    # A new tie tolerance rebuilds the pairs from the cached samples, without generating.
    third = build_preference_data(
        model, tok, PROMPTS, scorers, cache_dir=tmp_path, tie_tolerance=5.0, **KW
    )
    assert calls == {"sample": 1, "score": 2}
    assert list(third["response_0"]) == list(first["response_0"])
    assert list(third["concise"]) != list(first["concise"])
    # Another seed is another key: it generates.
    build_preference_data(model, tok, PROMPTS, scorers, cache_dir=tmp_path, **{**KW, "seed": 9})
    assert calls["sample"] == 2


def test_cache_key_follows_the_model_weights(lm, tmp_path):
    model, tok = lm
    other = tiny_causal_lm("llama", seed=1)
    a = llm_data.model_fingerprint(model, tok)
    assert a == llm_data.model_fingerprint(model, tok)
    assert a != llm_data.model_fingerprint(other, tok)


def test_all_tied_dimension_is_fully_masked(lm):
    model, tok = lm
    ds = build_preference_data(
        model,
        tok,
        PROMPTS[:2],
        {"clean": ProfanityScorer(), "concise": LengthScorer()},
        with_reference_logps=False,
        **KW,
    )
    assert reference_column("response_0") not in ds.column_names
    assert set(ds["clean"]) == {-1}
    summary = summarize_dimensions(ds, ["clean", "concise"])
    assert summary["dimensions"]["clean"]["tie_share"] == 1.0
    assert math.isnan(summary["dimensions"]["clean"]["share_1"])
    assert math.isnan(summary["spearman"]["clean|concise"])


def test_summarize_dimensions_on_built_data(built):
    summary = summarize_dimensions(built, DIMS)
    assert summary["n_pairs"] == len(built)
    assert summary["n_responses"] <= len(PROMPTS) * 3
    d = summary["dimensions"]
    assert d["concise"]["tie_share"] == pytest.approx(list(built["concise"]).count(-1) / len(built))
    assert d["detail"]["std"] > 0
    # Fewer vs more characters: the two dimensions conflict exactly.
    assert summary["spearman"]["concise|detail"] == pytest.approx(-1.0)
    assert summary["spearman_pairs"]["concise|detail"] == pytest.approx(-1.0)
    assert summary["label_agreement"]["concise|detail"] == 0.0


def test_summarize_dimensions_known_values():
    rows = {
        "prompt": ["q", "q", "r"],
        "response_0": ["a", "a", "x"],
        "response_1": ["bb", "ccc", "yy"],
        "score_0/u": [1.0, 1.0, 5.0],
        "score_1/u": [2.0, 3.0, 5.0],
        "u": [1, 1, -1],
        "score_0/v": [3.0, 3.0, 0.0],
        "score_1/v": [2.0, 1.0, 1.0],
        "v": [0, 0, 1],
    }
    s = summarize_dimensions(rows, ["u", "v"])
    assert s["n_responses"] == 5  # "a" counted once
    assert s["dimensions"]["u"]["tie_share"] == pytest.approx(1 / 3)
    assert s["dimensions"]["u"]["share_1"] == 1.0
    assert s["dimensions"]["u"]["mean"] == pytest.approx((1 + 2 + 3 + 5 + 5) / 5)
    assert s["label_agreement"]["u|v"] == 0.0
    with pytest.raises(ValueError, match="missing column 'w' for dimension 'w'"):
        summarize_dimensions(rows, ["w"])


def test_score_labels_and_pairs():
    labels = score_labels(
        torch.tensor([1.0, 2.0, 3.0, float("nan")]), torch.tensor([2.0, 1.0, 3.0, 1.0])
    )
    assert labels.tolist() == [1, 0, -1, -1]
    assert len(pair_indices(4)) == 6
    with pytest.raises(ValueError, match="tolerance must be a finite number >= 0, got -1"):
        score_labels(torch.zeros(1), torch.zeros(1), -1)


def test_reference_logps_direct(lm):
    model, tok = lm
    lp = reference_logps(model, tok, ["Hi", "Hi", "Yo"], ["ab", "abcd", "ab"], batch_size=2)
    assert lp.shape == (3,) and bool((lp < 0).all())
    assert lp[1] < lp[0]  # a longer response has more (negative) token log-probs
    assert lp[0] != lp[2]  # the prompt conditions the response


def test_bad_arguments(lm):
    model, tok = lm
    with pytest.raises(ValueError, match="n_samples must be an int >= 2"):
        build_preference_data(model, tok, PROMPTS, _scorers(), n_samples=1)
    with pytest.raises(TypeError, match="prompts must be a non-empty list"):
        build_preference_data(model, tok, "Say hi.", _scorers())
    with pytest.raises(TypeError, match="scorers must be a non-empty dict"):
        build_preference_data(model, tok, PROMPTS, [LengthScorer()])
    with pytest.raises(ValueError, match="clashes with a column"):
        build_preference_data(model, tok, PROMPTS, {"prompt": LengthScorer()})
    with pytest.raises(ValueError, match=r"unknown dimension\(s\) \['nope'\]"):
        build_preference_data(model, tok, PROMPTS, _scorers(), tie_tolerance={"nope": 1.0})
    with pytest.raises(ValueError, match=r"tie_tolerance\['concise'\] must be"):
        build_preference_data(model, tok, PROMPTS, _scorers(), tie_tolerance={"concise": -1})
    with pytest.raises(ValueError, match="no build record"):
        preference_data_info([{"prompt": "q"}])


def test_dpo_objective_reads_the_stored_reference(built, lm):
    from mdpo.conditioning import NoConditioning
    from mdpo.objectives import DPOObjective

    ref_model, tok = lm
    policy = tiny_causal_lm("llama", seed=1)
    objective = DPOObjective(
        label_columns={d: d for d in DIMS}, chat_template=True, ref_model=ref_model
    )
    rows = [built[i] for i in range(len(built))]
    cols = [reference_column(c) for c in ("response_0", "response_1")]
    bare = [{k: v for k, v in r.items() if k not in cols} for r in rows]
    shifted = [{**r, cols[0]: r[cols[0]] + 1.0} for r in rows]
    lam = torch.full((len(rows), 2), 0.5)

    def losses(examples):
        with torch.no_grad():
            out = objective(policy, examples, lam, tokenizer=tok, conditioning=NoConditioning())
        return out.losses[out.mask]

    stored = losses(rows)
    assert not torch.allclose(losses(shifted), stored, atol=1e-3)  # the columns are read...
    torch.testing.assert_close(stored, losses(bare), rtol=1e-4, atol=1e-4)  # ...and exact


def test_identical_samples_give_an_empty_typed_dataset(lm, monkeypatch):
    model, tok = lm
    monkeypatch.setattr(
        llm_data, "sample_responses", lambda m, t, prompts, **kw: [["same"] * 3 for _ in prompts]
    )
    ds = build_preference_data(model, tok, PROMPTS[:2], _scorers(), **KW)
    assert len(ds) == 0 and "concise" in ds.column_names
    assert ds.features["concise"].dtype == "int64"
    counts = preference_data_info(ds)["counts"]
    assert counts["dropped_identical"] == counts["candidate_pairs"] == 6
    assert summarize_dimensions(ds, list(DIMS))["n_responses"] == 0


def test_sample_systems_route_each_slot_to_its_system_prompt(lm):
    model, tok = lm
    systems = [None, "Reply tersely."]
    ds = build_preference_data(model, tok, PROMPTS, _scorers(), sample_systems=systems, **KW)
    plain = build_preference_data(model, tok, PROMPTS, _scorers(), **KW)
    assert list(ds["response_0"]) != list(plain["response_0"])
    # Slots 0 and 2 come from one call under the default system prompt, slot 1 from one
    # under the terse one, each with its own derived seed.
    common = {"max_new_tokens": 16, "batch_size": 6, "temperature": 1.0, "top_p": 1.0}
    default = llm_data.sample_responses(
        model, tok, PROMPTS, n_samples=2, seed=derive_seed(3, "system", 0), **common
    )
    terse = llm_data.sample_responses(
        model,
        tok,
        PROMPTS,
        n_samples=1,
        seed=derive_seed(3, "system", 1),
        system="Reply tersely.",
        **common,
    )
    expected = {(p, 0): default[p][0] for p in range(len(PROMPTS))}
    expected |= {(p, 2): default[p][1] for p in range(len(PROMPTS))}
    expected |= {(p, 1): terse[p][0] for p in range(len(PROMPTS))}
    for row in ds:
        p = row["prompt_index"]
        assert row["response_0"] == expected[(p, row["sample_0"])]
        assert row["response_1"] == expected[(p, row["sample_1"])]
    info = preference_data_info(ds)
    assert info["decoding"]["systems"] == systems
    assert "systems" not in preference_data_info(plain)["decoding"]


@pytest.mark.parametrize(
    ("systems", "needle"),
    [
        ("Be brief.", "sample_systems must be a non-empty list"),
        ([], "sample_systems must be a non-empty list"),
        ([None, 3], "sample_systems[1] must be a str, None or False, got 3"),
    ],
)
def test_bad_sample_systems_are_refused(lm, systems, needle):
    model, tok = lm
    with pytest.raises(ValueError) as info:
        build_preference_data(model, tok, PROMPTS, _scorers(), sample_systems=systems, **KW)
    assert needle in str(info.value)
