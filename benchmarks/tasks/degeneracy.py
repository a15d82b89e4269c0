"""Degeneracy checks of generated answers: empty, looping and gamed-format answers.

A front whose "concise" end is made of empty strings, or whose "relevant" end repeats the
prompt's words in a loop, games its scorers. :func:`degeneracy` measures, over the answers
evaluated at one λ, the share of answers caught by each of these rules:

- **empty**: no text after stripping whitespace;
- **repetitive**: at least ``min_words`` whitespace-separated words and a
  :func:`distinct_bigram_ratio` below ``threshold`` (a loop such as "yes yes yes ..." has a
  ratio near 0, ordinary prose near 1);
- **repeated_phrase** (:func:`has_repeated_phrase`): the answer loops over a phrase: word
  4-grams seen twice or 3-grams seen three times cover at least 40 % of its words;
- **unfinished_list** (:func:`has_unfinished_list`): the answer opens a numbered or bulleted
  list it does not continue (exactly one list item), or ends with a dangling list marker or
  a colon; when it is known whether the model ended the answer itself, only answers it
  ended itself count;
- **cut_mid_sentence** (:func:`ends_mid_sentence`): the model ended the answer itself (it
  emitted end-of-sequence before the token limit), yet the answer does not end with
  terminal punctuation. Answers cut by the evaluation's token limit are never counted: the
  cut is not the model's choice.

An answer is **degenerate** when any rule catches it.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

__all__ = [
    "degeneracy",
    "distinct_bigram_ratio",
    "ends_mid_sentence",
    "has_repeated_phrase",
    "has_unfinished_list",
]

# Stripped from both ends of a word before n-grams are compared: anything but letters/digits.
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")
# A list marker: "1." / "1)" (at most 3 digits, not part of a longer number or word) or a
# bullet "-", "*", "•"; it must be followed by whitespace or the end of the text.
_MARKER = re.compile(r"(?<![\w.,])(\d{1,3}[.)]|[-*•])(?=\s|$)")
_TERMINAL = ".!?…"
# Closing quotes, brackets and markdown emphasis that may follow a sentence's final mark.
_CLOSERS = "\"'”’»)]}*_`"
# Invisible characters that may trail an emoji (variation selector, zero-width joiner).
_EMOJI_TAIL = "\ufe0f\ufe0e\u200d"


def distinct_bigram_ratio(text: str) -> float:
    """Share of distinct word bigrams among all word bigrams of ``text``.

    Words are whitespace-separated tokens, compared as they are (case and punctuation kept).

    Args:
        text: An answer.

    Returns:
        A ratio in [0, 1]; 1.0 for texts with fewer than 2 words.

    Example:
        >>> from mdpo.benchmarks.tasks.degeneracy import distinct_bigram_ratio
        >>> distinct_bigram_ratio("the cat sat on the mat")
        1.0
        >>> distinct_bigram_ratio("yes yes yes yes yes")
        0.25
    """
    words = text.split()
    bigrams = list(itertools.pairwise(words))
    return len(set(bigrams)) / len(bigrams) if bigrams else 1.0


def _words(text: str) -> list[str]:
    """Case-folded words with punctuation stripped from their edges; empty ones dropped."""
    words = (_EDGES.sub("", w).casefold() for w in text.split())
    return [w for w in words if w]


def has_repeated_phrase(text: str, *, coverage: float = 0.4) -> bool:
    """Whether ``text`` loops over a phrase.

    Words are the whitespace-separated tokens, case-folded, with everything but letters and
    digits stripped from their edges (tokens left empty, such as a lone "-", are dropped). A
    word 4-gram is *repeated* when it occurs at least twice, a 3-gram when it occurs at least
    three times (occurrences may overlap). The text loops when the words inside repeated
    n-grams (for either n) make up at least ``coverage`` of its words. Restating a topic once
    ("a hot air balloon ... a hot air balloon" in 30 words) stays under the default 40 %; a
    loop ("I walk in the fog, I walk in the fog, ...") does not. Calibrated on SmolLM2's own
    sampled answers: 1 % of them loop by this rule.

    Args:
        text: An answer.
        coverage: Share of words, in (0, 1], that repeated n-grams must cover.

    Returns:
        True if the text loops over a phrase.

    Raises:
        ValueError: If ``coverage`` is not in (0, 1].

    Example:
        >>> from mdpo.benchmarks.tasks.degeneracy import has_repeated_phrase
        >>> has_repeated_phrase("pieces, pieces on the board, pieces on the board")
        True
        >>> has_repeated_phrase("Water the plant twice a week. Keep it in the sun.")
        False
    """
    if (
        isinstance(coverage, bool)
        or not isinstance(coverage, int | float)
        or not (0.0 < coverage <= 1.0)
    ):
        raise ValueError(f"coverage must be a float in (0, 1], got {coverage!r}")
    words = _words(text)
    covered: set[int] = set()
    for n, times in ((4, 2), (3, 3)):
        grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
        counts = Counter(grams)
        for i, gram in enumerate(grams):
            if counts[gram] >= times:
                covered.update(range(i, i + n))
    return bool(words) and len(covered) >= coverage * len(words)


def _list_markers(text: str) -> list[re.Match[str]]:
    """The list markers of ``text`` that open a list item (see :func:`has_unfinished_list`)."""
    found = []
    for match in _MARKER.finditer(text):
        line_before = text[: match.start()].rsplit("\n", 1)[-1]
        before = line_before.rstrip(" \t")
        if not before or before.endswith(":"):
            found.append(match)
        elif (
            match.group(1) not in ("-", "*")
            and before.endswith((".", "!", "?"))
            and before != line_before
        ):
            found.append(match)  # an inline item: "1. Buy it. 2. Sell it."
    return found


def has_unfinished_list(text: str) -> bool:
    r"""Whether ``text`` opens a numbered or bulleted list it does not continue.

    A *list marker* is ``N.`` or ``N)`` (``N`` of 1 to 3 digits, not part of a longer number
    or word) or a bullet ``-``, ``*`` or ``•``, followed by whitespace or the end of the text,
    and placed at the start of a line (after optional indentation) or after a colon. A
    numbered or ``•`` marker placed after a sentence's final ``.``, ``!`` or ``?`` and a space
    also counts (the inline list "1. Buy it. 2. Sell it." has two items). The list is
    unfinished when the text has exactly one list marker, when it ends with a list marker
    (nothing after it), or when it ends with a colon.

    Args:
        text: An answer.

    Returns:
        True if the list is unfinished.

    Example:
        >>> from mdpo.benchmarks.tasks.degeneracy import has_unfinished_list
        >>> has_unfinished_list("1. Buy it online.")
        True
        >>> has_unfinished_list("Here are some tips:")
        True
        >>> has_unfinished_list("Tips:\n1. Water it.\n2. Give it sun.\n3. Repot it in spring.")
        False
        >>> has_unfinished_list("I scored 10. It was fun.")
        False
    """
    stripped = text.rstrip()
    if not stripped:
        return False
    markers = _list_markers(stripped)
    dangling = bool(markers) and markers[-1].end() == len(stripped)
    return len(markers) == 1 or dangling or stripped.endswith(":")


def _is_emoji(char: str) -> bool:
    return unicodedata.category(char) == "So" or 0x1F3FB <= ord(char) <= 0x1F3FF


def ends_mid_sentence(text: str) -> bool:
    """Whether a non-empty ``text`` stops without terminal punctuation.

    After trailing whitespace is stripped, the text ends a sentence when its last character
    is ``)`` or an emoji (a character of Unicode category "So", optionally followed by a
    variation selector or joiner), or when, once closing quotes, brackets and markdown
    emphasis marks (``"``, ``'``, ``”``, ``’``, ``»``, ``)``, ``]``, ``}``, ``*``, ``_``, a
    backtick) are stripped from its end, it ends with ``.``, ``!``, ``?`` or ``…``.

    Args:
        text: An answer.

    Returns:
        True if ``text`` is non-empty and does not end a sentence ("The best way to").

    Example:
        >>> from mdpo.benchmarks.tasks.degeneracy import ends_mid_sentence
        >>> ends_mid_sentence("The best way to")
        True
        >>> ends_mid_sentence('He said "go home."'), ends_mid_sentence("Enjoy! 🌱")
        (False, False)
    """
    t = text.rstrip()
    if not t:
        return False
    bare = t.rstrip(_EMOJI_TAIL)
    if bare and (bare[-1] == ")" or _is_emoji(bare[-1])):
        return False
    bare = t.rstrip(_CLOSERS)
    return not bare or bare[-1] not in _TERMINAL


def _check_finished(finished: Sequence[bool] | None, n: int) -> list[bool] | None:
    if finished is None:
        return None
    if isinstance(finished, str | bytes) or not isinstance(finished, Sequence):
        raise TypeError(
            f"finished must be None or a list of bools, got {type(finished).__name__} "
            f"{finished!r:.80}"
        )
    if len(finished) != n:
        raise ValueError(
            f"finished must have one bool per answer: got {len(finished)} for {n} answers"
        )
    for i, flag in enumerate(finished):
        if isinstance(flag, str | bytes) or flag not in (True, False):
            raise TypeError(f"finished[{i}] must be a bool, got {flag!r:.80}")
    return [bool(flag) for flag in finished]


def degeneracy(
    answers: Sequence[str],
    *,
    threshold: float = 0.5,
    min_words: int = 6,
    finished: Sequence[bool] | None = None,
) -> dict[str, float]:
    """Shares of empty, repetitive and gamed-format answers.

    Each answer is checked by the rules below; a share is the number of answers a rule
    catches divided by ``len(answers)``.

    - ``"empty"``: no text after stripping whitespace.
    - ``"repetitive"``: at least ``min_words`` whitespace-separated words and a
      :func:`distinct_bigram_ratio` below ``threshold``.
    - ``"repeated_phrase"``: :func:`has_repeated_phrase` (word 4-grams seen twice or
      3-grams seen three times cover at least 40 % of the words, case-folded, punctuation
      stripped from word edges).
    - ``"unfinished_list"``: :func:`has_unfinished_list` (exactly one list item, or a
      dangling list marker or colon at the end). With ``finished`` given, only answers the
      model ended itself count: a list cut by the token limit is not unfinished by choice.
      With ``finished=None`` every answer is checked.
    - ``"cut_mid_sentence"``: only with ``finished`` given: a non-empty answer the model
      ended itself (``finished[i]`` True) for which :func:`ends_mid_sentence` holds. An
      answer cut by the token limit (``finished[i]`` False) is never counted; with
      ``finished=None`` the share is 0.0.
    - ``"degenerate"``: caught by any of the five rules above.

    Args:
        answers: ``n`` answers.
        threshold: An answer of at least ``min_words`` words is repetitive when its
            :func:`distinct_bigram_ratio` is below this.
        min_words: Shorter answers are never repetitive.
        finished: ``None`` or ``n`` bools, one per answer: True when the model ended the
            answer itself (emitted end-of-sequence before the token limit), False when the
            token limit cut it.

    Returns:
        A dict with the shares ``"empty"``, ``"repetitive"``, ``"repeated_phrase"``,
        ``"unfinished_list"``, ``"cut_mid_sentence"`` and ``"degenerate"``, in [0, 1], and
        ``"mean_words"``, the mean number of whitespace-separated words. All are 0.0 for no
        answers.

    Raises:
        TypeError: If ``answers`` is not a sequence of str, or ``finished`` is not None or
            a sequence of bools.
        ValueError: If ``finished`` does not have one entry per answer.

    Example:
        >>> from mdpo.benchmarks.tasks.degeneracy import degeneracy
        >>> degeneracy(["", "a b a b a b a b", "A fine answer."], min_words=4)["degenerate"]
        0.6666666666666666
        >>> stats = degeneracy(
        ...     ["The best way to", "1. Buy it online.", "Water it weekly. Give it sun."],
        ...     finished=[True, True, True],
        ... )
        >>> stats["cut_mid_sentence"], stats["unfinished_list"], stats["degenerate"]
        (0.3333333333333333, 0.3333333333333333, 0.6666666666666666)
        >>> degeneracy(["The best way to"], finished=[False])["degenerate"]
        0.0
    """
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise TypeError(
            f"answers must be a list or tuple of str, got {type(answers).__name__} {answers!r:.80}"
        )
    for i, answer in enumerate(answers):
        if not isinstance(answer, str):
            raise TypeError(f"answers[{i}] must be a str, got {type(answer).__name__}")
    ended = _check_finished(finished, len(answers))
    rules = ("empty", "repetitive", "repeated_phrase", "unfinished_list", "cut_mid_sentence")
    if not answers:
        return {**dict.fromkeys(rules, 0.0), "degenerate": 0.0, "mean_words": 0.0}
    self_ended = ended if ended is not None else [True] * len(answers)
    flags = {
        "empty": [not a.strip() for a in answers],
        "repetitive": [
            len(a.split()) >= min_words and distinct_bigram_ratio(a) < threshold for a in answers
        ],
        "repeated_phrase": [has_repeated_phrase(a) for a in answers],
        "unfinished_list": [e and has_unfinished_list(a) for a, e in zip(answers, self_ended)],
        "cut_mid_sentence": [
            ended is not None and e and ends_mid_sentence(a) for a, e in zip(answers, self_ended)
        ],
    }
    n = len(answers)
    out = {rule: sum(flags[rule]) / n for rule in rules}
    out["degenerate"] = sum(any(caught) for caught in zip(*flags.values())) / n
    out["mean_words"] = sum(len(a.split()) for a in answers) / n
    return out
