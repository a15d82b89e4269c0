"""Degeneracy rules: empty, looping, repeated phrases, unfinished lists, cut mid-sentence."""

from __future__ import annotations

import pytest

from mdpo.benchmarks.tasks import llm as smollm
from mdpo.benchmarks.tasks.degeneracy import (
    degeneracy,
    distinct_bigram_ratio,
    ends_mid_sentence,
    has_repeated_phrase,
    has_unfinished_list,
)

PROSE = "Water the plant twice a week. Keep it in the sun."
LIST = "Here are three tips:\n1. Water it weekly.\n2. Give it sun.\n3. Repot it in spring."
RULES = ("empty", "repetitive", "repeated_phrase", "unfinished_list", "cut_mid_sentence")


def test_smollm_reexports_the_same_functions():
    assert smollm.degeneracy is degeneracy
    assert smollm.distinct_bigram_ratio is distinct_bigram_ratio
    assert {"degeneracy", "distinct_bigram_ratio"} <= set(smollm.__all__)


def test_keys_and_empty_input():
    stats = degeneracy([PROSE], finished=[True])
    assert list(stats) == [*RULES, "degenerate", "mean_words"]
    assert degeneracy([]) == {**dict.fromkeys(RULES, 0.0), "degenerate": 0.0, "mean_words": 0.0}
    assert degeneracy([], finished=[]) == degeneracy([])


def test_ordinary_prose_and_a_proper_list_are_not_degenerate():
    for finished in (None, [True, True]):
        stats = degeneracy([PROSE, LIST], finished=finished)
        assert stats["degenerate"] == 0.0, stats
        assert all(stats[rule] == 0.0 for rule in RULES)
    assert degeneracy([PROSE])["mean_words"] == 11.0


@pytest.mark.parametrize(
    "text",
    [
        "pieces, pieces on the board, pieces on the board",
        "The cat sat on the mat. THE CAT SAT ON the rug.",  # case and punctuation folded
        "go to bed, go to bed, go to bed now",  # a 3-gram three times
    ],
)
def test_repeated_phrase_positives(text):
    assert has_repeated_phrase(text)
    assert degeneracy([text, PROSE])["repeated_phrase"] == 0.5
    assert degeneracy([text, PROSE])["degenerate"] == 0.5


@pytest.mark.parametrize(
    "text",
    [
        PROSE,
        LIST,
        "Make sure to water it. Make sure to feed it.",  # a 3-gram only twice
        "on the board and then off the board again",  # 3-grams differ
        # A topic restated once in longer prose covers under 40 % of the words.
        "A hot air balloon ride at dawn is a unique and calm experience that combines the "
        "thrill of a hot air balloon with the quiet of the early morning sky over the hills.",
    ],
)
def test_repeated_phrase_negatives(text):
    assert not has_repeated_phrase(text)
    assert degeneracy([text])["repeated_phrase"] == 0.0


def test_repeated_phrase_overlaps_with_but_differs_from_repetitive():
    # A phrase repeated inside longer prose keeps a high distinct-bigram ratio.
    text = "The best answer is to rest. Many agree that the best answer is to rest well today."
    assert distinct_bigram_ratio(text) > 0.5
    stats = degeneracy([text])
    assert stats["repetitive"] == 0.0
    assert stats["repeated_phrase"] == 1.0 and stats["degenerate"] == 1.0


@pytest.mark.parametrize(
    "text",
    [
        "1. Buy it online.",
        "1) Buy it online.",
        "- Buy it online.",
        "* Buy it online.",
        "• Buy it online.",
        "To fix it: 1. Buy a new one.",  # one item after a colon
        "Here are some tips:",  # ends with a colon
        "Here are some tips:\n1. Water it.\n2.",  # a dangling marker
        "Steps: 1. Buy it. 2.",
    ],
)
def test_unfinished_list_positives(text):
    assert has_unfinished_list(text)
    assert degeneracy([text])["unfinished_list"] == 1.0
    assert degeneracy([text], finished=[True])["unfinished_list"] == 1.0


@pytest.mark.parametrize(
    "text",
    [
        PROSE,
        LIST,
        "Tips:\n- Water it.\n- Give it sun.\n- Repot it.",
        "Tips: 1. Water it. 2. Give it sun. 3. Repot it.",  # an inline list
        "I scored 10. It was fun.",  # a number ending a sentence is no marker
        "Use 1.5 cups of flour - not more.",  # decimals and dashes inside a line
        "**Tip**: water it weekly.",  # markdown emphasis is no bullet
        "",
    ],
)
def test_unfinished_list_negatives(text):
    assert not has_unfinished_list(text)
    assert degeneracy([text], finished=[True])["unfinished_list"] == 0.0


def test_a_list_cut_by_the_token_limit_is_not_unfinished():
    text = "Here are some tips:\n1. Water it weekly."
    assert degeneracy([text], finished=[False])["unfinished_list"] == 0.0
    assert degeneracy([text], finished=[False])["degenerate"] == 0.0
    assert degeneracy([text], finished=[True])["unfinished_list"] == 1.0
    assert degeneracy([text])["unfinished_list"] == 1.0  # unknown: counted


@pytest.mark.parametrize(
    "text", ["The best way to", "Here is my answer", "Ends with a comma,", "The answer is 42"]
)
def test_cut_mid_sentence_positives(text):
    assert ends_mid_sentence(text)
    assert degeneracy([text], finished=[True])["cut_mid_sentence"] == 1.0
    assert degeneracy([text], finished=[True])["degenerate"] == 1.0


@pytest.mark.parametrize(
    "text",
    [
        PROSE,
        "Really?",
        "Wow!",
        "And so on…",
        'He said "go home."',
        "(Water it daily.)",
        "Water it daily (or so)",  # a closing bracket ends it
        "Enjoy your garden 🌱",  # an emoji ends it
        "Done! ❤️",  # an emoji with a variation selector
        "That is **important**.",
        "It is **important!**",
    ],
)
def test_cut_mid_sentence_negatives(text):
    assert not ends_mid_sentence(text)
    assert degeneracy([text], finished=[True])["cut_mid_sentence"] == 0.0


def test_cut_mid_sentence_needs_the_model_to_have_stopped():
    text = "The best way to"
    assert degeneracy([text], finished=[False])["cut_mid_sentence"] == 0.0
    assert degeneracy([text], finished=[False])["degenerate"] == 0.0
    assert degeneracy([text])["cut_mid_sentence"] == 0.0  # unknown: never counted
    assert not ends_mid_sentence("") and not ends_mid_sentence("   ")
    assert degeneracy([""], finished=[True])["cut_mid_sentence"] == 0.0


def test_degenerate_is_the_union_of_the_rules():
    answers = [
        "",  # empty
        "go go go go go go go.",  # repetitive (and repeated phrase)
        "pieces, pieces on the board, pieces on the board.",  # repeated phrase only
        "1. Buy it online.",  # unfinished list only
        "The best way to",  # cut mid-sentence only
        PROSE,
        LIST,
        "The best way to",  # cut by the limit: fine
    ]
    finished = [True, True, True, True, True, True, True, False]
    stats = degeneracy(answers, finished=finished)
    assert stats["empty"] == 1 / 8
    assert stats["repetitive"] == 1 / 8
    assert stats["repeated_phrase"] == 2 / 8
    assert stats["unfinished_list"] == 1 / 8
    assert stats["cut_mid_sentence"] == 1 / 8
    assert stats["degenerate"] == 5 / 8
    assert all(0.0 <= stats[rule] <= 1.0 for rule in RULES)


def test_existing_rules_keep_their_behaviour():
    assert distinct_bigram_ratio("a b a b a b") == pytest.approx(2 / 5)
    stats = degeneracy(["", "  ", "go go go go go go go", "A short but fine answer here."])
    assert stats["empty"] == 0.5 and stats["repetitive"] == 0.25 and stats["degenerate"] == 0.75
    assert degeneracy(["no no"], min_words=6)["repetitive"] == 0.0
    assert degeneracy(["a b a b a b"], threshold=0.3)["repetitive"] == 0.0
    assert degeneracy(["a b a b a b"], threshold=0.5)["repetitive"] == 1.0


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"finished must have one bool per answer: got 1 for 2"):
        degeneracy([PROSE, LIST], finished=[True])
    with pytest.raises(TypeError, match="finished must be None or a list of bools"):
        degeneracy([PROSE], finished=True)
    with pytest.raises(TypeError, match=r"finished\[0\] must be a bool"):
        degeneracy([PROSE], finished=["yes"])
    with pytest.raises(TypeError, match="answers must be a list or tuple of str"):
        degeneracy(PROSE)
    with pytest.raises(TypeError, match=r"answers\[1\] must be a str"):
        degeneracy([PROSE, None])


@pytest.mark.parametrize("coverage", [0, 1.5, float("nan"), "0.4", True])
def test_repeated_phrase_rejects_a_bad_coverage(coverage):
    with pytest.raises(ValueError, match="coverage must be a float in \\(0, 1\\]"):
        has_repeated_phrase("a b c d a b c d", coverage=coverage)


def test_repeated_phrase_coverage_threshold_decides():
    text = "the cat sat on the mat and then the cat sat on a chair by the warm window today"
    # "the cat sat on" twice: 8 of 18 words.
    assert has_repeated_phrase(text, coverage=0.4)
    assert not has_repeated_phrase(text, coverage=0.5)
