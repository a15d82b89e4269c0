from __future__ import annotations

import pytest

from mdpo.scorers import LengthScorer
from mdpo.testing import tiny_chat_tokenizer

TEXTS = ["one two  three", "", "héllo wörld"]


def test_units_and_sign():
    q = ["q"] * 3
    assert LengthScorer()(q, TEXTS).tolist() == [-3.0, 0.0, -2.0]
    assert LengthScorer("chars", sign=1)(q, TEXTS).tolist() == [14.0, 0.0, 11.0]
    tokens = LengthScorer("tokens", tokenizer=tiny_chat_tokenizer(), sign=1)(q, TEXTS)
    assert tokens.tolist() == [14.0, 0.0, 13.0]  # byte-level: é and ö are two bytes each


def test_concise_prefers_shorter():
    s = LengthScorer()(["q", "q"], ["Yes.", "Yes, that is absolutely right."])
    assert s[0] > s[1]


def test_floor_gives_no_credit_below_it():
    texts = ["", "one", "one two three four five six"]
    plain = LengthScorer()(["q"] * 3, texts)
    floored = LengthScorer(floor=4)(["q"] * 3, texts)
    assert plain.tolist() == [0.0, -1.0, -6.0]  # empty is the "most concise" without a floor
    assert floored.tolist() == [-4.0, -4.0, -6.0]  # with it, empty ties a 4-word answer
    assert "floor=4" in repr(LengthScorer(floor=4)) and "floor" not in repr(LengthScorer())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"unit": "lines"}, "unit must be one of"),
        ({"sign": 2}, "sign must be -1"),
        ({"sign": True}, "sign must be -1"),
        ({"unit": "tokens"}, "needs a tokenizer"),
        ({"floor": -1}, r"floor must be a finite number >= 0, got -1"),
        ({"floor": float("inf")}, "floor must be a finite number"),
        ({"floor": "3"}, "floor must be a finite number"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LengthScorer(**kwargs)
