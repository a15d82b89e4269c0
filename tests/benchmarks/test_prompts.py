from __future__ import annotations

import re
from collections import Counter

import pytest

from mdpo.benchmarks.tasks.prompts import PROMPT_CATEGORIES, load_prompts


def test_size_and_splits():
    rows = load_prompts()
    train, evaluation = load_prompts("train"), load_prompts("eval")
    validation = load_prompts("validation")
    assert len(rows) >= 320 and len(train) >= 200 and len(evaluation) >= 65
    assert len(validation) >= 50
    assert len(train) + len(validation) + len(evaluation) == len(rows)
    assert {r["split"] for r in train} == {"train"} and {r["split"] for r in evaluation} == {"eval"}
    assert {r["split"] for r in validation} == {"validation"}
    ids = [{r["id"] for r in split} for split in (train, validation, evaluation)]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])


def test_schema_ids_and_no_empty_prompts():
    rows = load_prompts()
    for row in rows:
        assert set(row) == {"id", "category", "split", "prompt"}
        assert re.fullmatch(r"p\d{4}", row["id"])
        assert row["prompt"].strip() == row["prompt"] and len(row["prompt"].split()) >= 3
    assert len({r["id"] for r in rows}) == len(rows)


def test_no_duplicate_prompts_case_insensitively():
    counts = Counter(r["prompt"].casefold() for r in load_prompts())
    assert [p for p, n in counts.items() if n > 1] == []


def test_categories_present_and_balanced_in_both_splits():
    for split in ("train", "validation", "eval"):
        counts = Counter(r["category"] for r in load_prompts(split))
        assert set(counts) == set(PROMPT_CATEGORIES)
        assert max(counts.values()) - min(counts.values()) <= 3, counts


def test_returns_fresh_copies():
    load_prompts()[0]["prompt"] = "changed"
    assert load_prompts()[0]["prompt"] != "changed"


@pytest.mark.parametrize("split", ["test", "TRAIN", 0])
def test_bad_split(split):
    with pytest.raises(ValueError, match=r"split must be None or one of \['train', 'validation'"):
        load_prompts(split)
