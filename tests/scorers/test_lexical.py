"""Sentiment (VADER), readability (textstat) and profanity (better-profanity word list)."""

from __future__ import annotations

import pytest

from mdpo.scorers import ProfanityScorer, ReadabilityScorer, SentimentScorer, profanity_words


def test_sentiment_orders_positive_neutral_negative():
    s = SentimentScorer()(
        ["How was it?"] * 3,
        ["It was great, I loved it!", "It was on Tuesday.", "It was terrible and I hated it."],
    )
    assert s[0] > s[1] > s[2]
    assert s[1] == 0.0 and s.min() >= -1 and s.max() <= 1


def test_sentiment_ignores_the_prompt():
    s = SentimentScorer()
    assert s(["I hate this"], ["Fine."]).item() == s(["I love this"], ["Fine."]).item()


def test_readability_simple_beats_convoluted():
    simple = "The dog ran to the park. It was fun. We went home."
    hard = (
        "Notwithstanding the considerable methodological heterogeneity characterising "
        "contemporary epistemological investigations, interdisciplinary collaboration "
        "unquestionably necessitates institutionalised accommodation."
    )
    s = ReadabilityScorer()(["q", "q"], [simple, hard])
    assert s[0] > s[1]
    grade = ReadabilityScorer("flesch_kincaid_grade")(["q", "q"], [simple, hard])
    assert grade[0] > grade[1]  # grade levels are negated: higher is still easier


def test_readability_empty_answer_is_not_the_optimum():
    r = ReadabilityScorer()
    s = r(["q", "q", "q"], ["", "   ", "The cat sat."])
    assert s[0] == s[1] == 0.0 and s[2] > 50
    assert ReadabilityScorer(empty_score=-5.0)(["q"], [""]).item() == -5.0
    clipped = ReadabilityScorer(clip=(0.0, 100.0))(["q"], ["The cat sat."])
    assert clipped.item() == 100.0 and s[2] > 100  # unclipped it is above 100


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"metric": "nope"}, "metric must be one of"), ({"clip": (5, 1)}, "clip must be None")],
)
def test_readability_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ReadabilityScorer(**kwargs)


def test_profanity_counts_whole_words_case_insensitively():
    p = ProfanityScorer()
    texts = [
        "What a lovely morning.",
        "DAMN it, this crap is damn annoying.",
        "Scrap the crappy draft; assess the class.",  # substrings of listed words
        "2\ngirls 1 cup",  # a listed phrase across whitespace counts once
    ]
    assert p.count(texts).tolist() == [0, 3, 0, 1]
    scores = p(["q"] * 4, texts)
    assert scores.tolist() == [0.0, -3.0, 0.0, -1.0]
    assert scores[0] > scores[1]


def test_profanity_rate_and_extra_words():
    texts = ["damn " + "word " * 9, "damn"]
    rate = ProfanityScorer(per_words=100)(["q", "q"], texts)
    assert rate.tolist() == [-10.0, -100.0]
    assert ProfanityScorer(extra_words=["Gosh"])(["q"], ["Oh gosh."]).item() == -1.0
    assert ProfanityScorer()(["q"], ["Oh gosh."]).item() == 0.0


def test_profanity_lexicon_and_bad_arguments():
    words = profanity_words()
    assert len(words) > 800 and "damn" in words and words == tuple(sorted(set(words)))
    with pytest.raises(ValueError, match="per_words must be None or a positive int, got 0"):
        ProfanityScorer(per_words=0)
    with pytest.raises(ValueError, match="extra_words must be non-empty strings"):
        ProfanityScorer(extra_words=[""])
