"""AFINN sentiment: the sum of word valences of the completion, squashed into [-1, 1]."""

from __future__ import annotations

import math

import pytest
import torch

from mdpo.scorers import AfinnSentimentScorer, SentimentScorer, get_scorer

TEXTS = ["It was great, I loved it!", "It was on Tuesday.", "It was terrible and I hated it."]


def test_orders_positive_neutral_negative():
    s = AfinnSentimentScorer()(["How was it?"] * 3, TEXTS)
    assert s.dtype == torch.float32
    assert s[0] > s[1] > s[2]
    assert s[1] == 0.0 and s.min() >= -1 and s.max() <= 1


def test_tanh_of_the_lexicon_sum():
    s = AfinnSentimentScorer()(["q"] * 3, ["good", "good good", "bad"])
    # AFINN-165: good = +3, bad = -3.
    assert s.tolist() == pytest.approx([math.tanh(3 / 5), math.tanh(6 / 5), -math.tanh(3 / 5)])
    wide = AfinnSentimentScorer(scale=10.0)(["q"], ["good"]).item()
    assert wide == pytest.approx(math.tanh(3 / 10))


def test_per_word_is_a_density_that_length_does_not_inflate():
    short, long = "good", "good " * 10
    tanh = AfinnSentimentScorer()(["q", "q"], [short, long])
    assert tanh[1] > tanh[0]  # the sum grows with length
    dens = AfinnSentimentScorer("per_word")(["q"] * 3, [short, long, "good day to you all"])
    assert dens.tolist() == pytest.approx([3 / 5, 3 / 5, 3 / 25])
    assert AfinnSentimentScorer("per_word")(["q"], ["good/great/awesome"]).item() == 1.0  # clip


def test_empty_and_neutral_text_score_zero():
    for norm in ("tanh", "per_word"):
        s = AfinnSentimentScorer(norm)(["q"] * 3, ["", "   ", "The bus leaves at nine."])
        assert s.tolist() == [0.0, 0.0, 0.0]


def test_ignores_the_prompt_and_differs_from_vader():
    a = AfinnSentimentScorer()
    assert a(["I hate this"], ["Fine."]).item() == a(["I love this"], ["Fine."]).item()
    # No negation rules: AFINN reads "not happy" as positive, VADER as negative.
    texts = ["I am not happy.", "I am happy."]
    afinn, vader = a(["q"] * 2, texts), SentimentScorer()(["q"] * 2, texts)
    assert afinn[0] > 0 and afinn[0] == afinn[1]
    assert vader[0] < 0 < vader[1]


def test_registry_key():
    s = get_scorer("afinn", norm="per_word")
    assert isinstance(s, AfinnSentimentScorer) and s.name == "afinn" and s.norm == "per_word"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"norm": "sum"}, "norm must be one of"),
        ({"scale": 0}, "scale must be a positive finite number, got 0"),
        ({"scale": float("inf")}, "scale must be a positive finite number"),
        ({"scale": True}, "scale must be a positive finite number"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AfinnSentimentScorer(**kwargs)
