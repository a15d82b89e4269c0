"""Lexical relevance: TF-IDF cosine of stemmed content words, IDF fitted on a fixed corpus."""

from __future__ import annotations

import pytest
import torch

from mdpo.benchmarks.tasks.prompts import load_prompts
from mdpo.scorers import LexicalRelevanceScorer, get_scorer, lexical_terms

QUESTIONS = ["How often should I water my cactus?", "What is a good way to learn French?"]
ON_TOPIC = [
    "Water a cactus sparingly, only when the soil is completely dry.",
    "Practise French daily with a language app and watch French films.",
]


@pytest.fixture(scope="module")
def scorer():
    return LexicalRelevanceScorer()


def test_on_topic_beats_off_topic(scorer):
    on = scorer(QUESTIONS, ON_TOPIC)
    swapped = scorer(QUESTIONS, ON_TOPIC[::-1])
    assert not torch.equal(on, swapped)
    assert (on > swapped).all()
    assert (on > 0.1).all() and (swapped == 0.0).all()  # no shared content word
    assert on.dtype == torch.float32 and ((on >= 0) & (on <= 1)).all()


def test_stemming_matches_inflections(scorer):
    assert lexical_terms("plants plant planting planted") == ["plant"] * 4
    assert lexical_terms("The boxes, the box; running, run; baking, bake") == [
        "box",
        "box",
        "run",
        "run",
        "bak",
        "bak",
    ]
    assert len(set(lexical_terms("families family watches watch"))) == 2
    prompt = ["How do I care for plants?"]
    inflected = scorer(prompt, ["Planting and caring for them is easy."]).item()
    unrelated = scorer(prompt, ["Cooking and baking bread is easy."]).item()
    assert inflected > 0.3 and unrelated == 0.0


def test_stop_words_and_empty_completions_score_zero(scorer):
    s = scorer(["How do I boil an egg?"] * 4, ["", "   ", "It is what it is.", "Boil the egg."])
    assert s[:3].tolist() == [0.0, 0.0, 0.0]
    assert s[3] > 0.5
    assert lexical_terms("the and of it is") == []


def test_identical_text_scores_one_and_off_topic_words_dilute(scorer):
    q = "How do I boil an egg?"
    s = scorer([q] * 3, [q, "Boil the egg.", "Boil the egg, then dance, sing and paint murals."])
    assert s[0].item() == pytest.approx(1.0, abs=1e-6)
    assert s[1] > s[2] > 0
    # Words unseen in the corpus weigh in the norm (with the largest IDF), not ignored.
    small = LexicalRelevanceScorer(corpus=["boil egg", "fry egg", "boil rice"])
    s = small(["boil an egg"] * 2, ["Boil the egg.", "Boil the egg, zebra."])
    assert s[0].item() == pytest.approx(1.0, abs=1e-6) and s[1] < 0.9


def test_rare_words_weigh_more_than_common_ones():
    corpus = ["plant water", "plant sun", "plant soil", "cactus desert"]
    r = LexicalRelevanceScorer(corpus=corpus)
    assert r.idf["cactus"] > r.idf["plant"]
    s = r(["water the cactus plant"] * 2, ["The cactus.", "The plant."])
    assert s[0] > s[1]


def test_idf_is_fitted_once_on_the_bundled_prompts(scorer):
    other = LexicalRelevanceScorer(corpus=["cactus cactus soil", "french film", "dry soil"])
    assert other.idf != scorer.idf
    assert other(QUESTIONS, ON_TOPIC).tolist() != scorer(QUESTIONS, ON_TOPIC).tolist()
    prompts = [row["prompt"] for row in load_prompts()]
    explicit = LexicalRelevanceScorer(corpus=prompts)
    assert explicit.idf == scorer.idf
    assert scorer._idf() is LexicalRelevanceScorer()._idf()  # cached per process
    assert explicit(QUESTIONS, ON_TOPIC).tolist() == scorer(QUESTIONS, ON_TOPIC).tolist()
    # Scores depend on the corpus, never on the batch they are computed in.
    one = [scorer([q], [c]).item() for q, c in zip(QUESTIONS, ON_TOPIC)]
    assert scorer(QUESTIONS, ON_TOPIC).tolist() == pytest.approx(one, abs=1e-7)


def test_registry_key():
    r = get_scorer("lexical_relevance")
    assert isinstance(r, LexicalRelevanceScorer) and r.name == "lexical_relevance"
    assert isinstance(get_scorer("lexical_relevance", corpus=["a cactus"]), LexicalRelevanceScorer)


@pytest.mark.parametrize(
    ("corpus", "error", "match"),
    [
        ("plants need water", TypeError, "corpus must be None or a list or tuple of str"),
        ([1, 2], TypeError, r"corpus\[0\] must be a str"),
        ({"plants": 1}, TypeError, "corpus must be None or a list or tuple of str"),
        ([], ValueError, "corpus must hold at least one text with a content word"),
        (["the", "and of"], ValueError, "corpus must hold at least one text with a content word"),
    ],
)
def test_bad_corpus(corpus, error, match):
    with pytest.raises(error, match=match):
        LexicalRelevanceScorer(corpus=corpus)
