from __future__ import annotations

import pytest

from mdpo.scorers import RelevanceScorer

QUESTIONS = ["How do I water a cactus?", "What is a good way to learn French?"]
ON_TOPIC = [
    "Water a cactus sparingly, only when the soil is completely dry.",
    "Practise French daily with a language app and watch French films.",
]


@pytest.fixture(scope="module")
def scorer():
    return RelevanceScorer(batch_size=2)


def test_on_topic_beats_off_topic(scorer):
    on = scorer(QUESTIONS, ON_TOPIC)
    swapped = scorer(QUESTIONS, ON_TOPIC[::-1])
    assert (on > swapped).all()
    assert (on.abs() <= 1.0 + 1e-5).all()


def test_batching_and_repeated_prompts_do_not_change_scores(scorer):
    prompts = [QUESTIONS[0]] * 3 + [QUESTIONS[1]]
    completions = [ON_TOPIC[0], ON_TOPIC[1], "", ON_TOPIC[1]]
    batched = scorer(prompts, completions)
    single = [scorer([p], [c]).item() for p, c in zip(prompts, completions)]
    assert batched.tolist() == pytest.approx(single, abs=1e-5)
    assert batched[0] > batched[1] and batched[3] > batched[1]


def test_model_is_loaded_once(scorer):
    assert RelevanceScorer().model is scorer.model


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        RelevanceScorer(batch_size=0)
