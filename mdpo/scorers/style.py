"""Ten chat styles, one scorer each: MiniLM embeddings with a logistic probe, length for concise.

The ten dimensions are those of the Panacea paper's chat experiment (:data:`STYLES`). Each
style except ``concise`` is scored by a logistic-regression probe on the answer's
all-MiniLM-L6-v2 sentence embedding (the model of :class:`~mdpo.scorers.RelevanceScorer`),
fitted once per process on a labelled exemplar set shipped with the package
(``data/style_train.jsonl``): the style's own exemplars and, at a small weight, the other
styles' positive exemplars as negatives. ``concise`` is the negated word count of
:class:`~mdpo.scorers.LengthScorer`.

The exemplars are chat answers written for this project: for each style, 30 prompts (60 for
``humorous``), each with one answer in the style and one neutral or opposite answer on the
same prompt, so that the probe learns the style rather than the topic. A separate set
(``data/style_validation.jsonl``: 20 other prompts per style, 40 for ``humorous``, on other
topics, written independently) is never used to build the scorers;
:mod:`mdpo.scorers.style_validation` reports the AUROC of each scorer on it.
"""

from __future__ import annotations

import functools
import json
import os
from importlib import resources
from typing import Any, NamedTuple

import torch

from mdpo._numbers import check_real

from .base import Scorer
from .length import LengthScorer
from .registry import register_scorer
from .relevance import _load, encode, minilm_path

__all__ = ["CROSS_STYLE_WEIGHT", "PROBE_C", "STYLES", "StyleScorer", "load_style_exemplars"]

STYLES = (
    "humorous",
    "philosophical",
    "sycophantic",
    "helpful",
    "concise",
    "creative",
    "formal",
    "expert",
    "pleasant",
    "uplifting",
)
"""The ten style names, the values of :class:`StyleScorer`'s ``style``."""

PROBE_C = 10.0
"""Inverse L2 strength of the logistic probes. Chosen among 0.1, 1, 10 and 100 by the mean
over the nine probed styles of the 5-fold cross-validated AUROC on the *training* exemplars,
folds grouped by prompt, without cross-style negatives
(:func:`mdpo.scorers.style_validation.probe_c_selection`: 0.956, 0.962, 0.970, 0.970; 10
and 100 tie, the stronger regularisation is kept); the validation set played no part."""

CROSS_STYLE_WEIGHT = 0.1
"""The default sample weight of the other styles' positive exemplars, added to a probe's
training set as negatives so that the probe tells its style from the others, not only from
plain answers. Chosen among 0, 0.1, 0.3 and 1 by the best mean of the training-CV AUROC and
the training-CV specificity over the nine probed styles
(:func:`mdpo.scorers.style_validation.cross_style_weight_selection`)."""

_SPLITS = {"train": "style_train.jsonl", "validation": "style_validation.jsonl"}
_CONCISE_FLOOR = 1
_FIT_BATCH = 64  # the training exemplars are embedded this many at a time, whatever batch_size


def _check_style(style: Any) -> str:
    if not isinstance(style, str):
        raise TypeError(f"style must be a str, one of {list(STYLES)}; got {style!r}")
    if style not in STYLES:
        raise ValueError(f"style must be one of {list(STYLES)}, got {style!r}")
    return style


@functools.lru_cache(maxsize=2)
def _read(split: str) -> tuple[dict[str, Any], ...]:
    text = resources.files(__package__).joinpath("data", _SPLITS[split]).read_text("utf-8")
    return tuple(json.loads(line) for line in text.splitlines() if line.strip())


def load_style_exemplars(split: str = "train", style: str | None = None) -> list[dict[str, Any]]:
    """The labelled style exemplars shipped with the package.

    Each record is ``{"style": ..., "label": 1 or 0, "prompt": ..., "answer": ...}``: label
    1 for an answer in the style, 0 for a neutral or opposite answer to the same prompt.

    Args:
        split: ``"train"`` (the probes are fitted on it: 30 prompts per style, 60 for
            ``humorous``) or ``"validation"`` (20 other prompts per style, 40 for
            ``humorous``; never used to fit the scorers).
        style: One of :data:`STYLES`, or ``None`` for all.

    Returns:
        Fresh dicts, in file order.

    Raises:
        ValueError: If ``split`` or ``style`` is unknown.
        TypeError: If ``style`` is not a str or None.

    Example:
        >>> from mdpo.scorers import load_style_exemplars
        >>> rows = load_style_exemplars("train", "formal")
        >>> len(rows), sum(r["label"] for r in rows), sorted(rows[0])
        (60, 30, ['answer', 'label', 'prompt', 'style'])
    """
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {list(_SPLITS)}, got {split!r}")
    if style is not None:
        _check_style(style)
    return [dict(r) for r in _read(split) if style is None or r["style"] == style]


@functools.lru_cache(maxsize=4)
def _train_embeddings(path: str, device: str | None) -> torch.Tensor:
    """MiniLM embeddings ``[N, 384]`` (float64, CPU) of every training answer, in file order."""
    answers = [r["answer"] for r in _read("train")]
    with torch.inference_mode():
        emb = encode(_load(path, device), answers, batch_size=_FIT_BATCH)
    return emb.detach().to(device="cpu", dtype=torch.float64)


@functools.lru_cache(maxsize=2)
def _embed_batch(
    path: str, device: str | None, batch_size: int, texts: tuple[str, ...]
) -> torch.Tensor:
    """Embeddings ``[n, 384]`` (float64, CPU) of one batch of answers.

    Cached per batch: the nine probed styles scoring the same answers one after another
    embed them once, with exactly the same result as embedding them nine times.
    """
    with torch.inference_mode():
        emb = encode(_load(path, device), list(texts), batch_size=batch_size)
    return emb.detach().to(device="cpu", dtype=torch.float64)


class _Probe(NamedTuple):
    """A fitted probe: ``score = embedding @ weight + bias``; ``empty`` for blank answers."""

    weight: torch.Tensor
    bias: float
    empty: float


def _design(style: str, cross_style_weight: float) -> tuple[list[int], list[int], list[float]]:
    """Which training rows fit the probe of ``style``: ``(rows, labels, sample weights)``.

    The style's own exemplars with their labels and weight 1, then, if
    ``cross_style_weight > 0``, the positives of the other probed styles as negatives with
    that weight.
    """
    rows = _read("train")
    own = [i for i, r in enumerate(rows) if r["style"] == style]
    others = [
        i
        for i, r in enumerate(rows)
        if cross_style_weight > 0 and r["label"] == 1 and r["style"] not in (style, "concise")
    ]
    labels = [rows[i]["label"] for i in own] + [0] * len(others)
    return own + others, labels, [1.0] * len(own) + [cross_style_weight] * len(others)


def _fit(x: Any, labels: list[int], weights: list[float], C: float = PROBE_C) -> Any:
    """The probe's scikit-learn fit: L2 logistic regression (lbfgs, deterministic)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=5000).fit(x, labels, sample_weight=weights)


@functools.lru_cache(maxsize=32)
def _probe(style: str, path: str, device: str | None, cross_style_weight: float) -> _Probe:
    """Fit the logistic probe of ``style`` on the training exemplars (once per process)."""
    index, labels, weights = _design(style, cross_style_weight)
    x = _train_embeddings(path, device)[index].numpy()
    fit = _fit(x, labels, weights)
    weight = torch.from_numpy(fit.coef_[0].copy())
    bias = float(fit.intercept_[0])
    # A blank answer shows no style: the lowest score of any training exemplar of the style.
    own = sum(1 for r in _read("train") if r["style"] == style)  # the first rows of x
    empty = float((torch.from_numpy(x[:own]) @ weight).min()) + bias
    return _Probe(weight, bias, empty)


@register_scorer("style")
class StyleScorer(Scorer):
    """How strongly an answer shows one of ten chat styles; higher is more of the style.

    - Every style but ``concise``: the log-odds (unbounded; about −5 to 5 on chat answers)
      of a logistic-regression probe (scikit-learn, L2, ``C =`` :data:`PROBE_C`) on the
      answer's L2-normalised all-MiniLM-L6-v2 embedding. It is fitted on the style's
      training exemplars (:func:`load_style_exemplars`; answers in the style against
      neutral or opposite answers to the same prompts), plus the other eight probed
      styles' positive exemplars as negatives with weight ``cross_style_weight``, the
      first time the style is scored, and then cached for the process. Fitting is
      deterministic; so are the scores, up to float rounding between batch compositions
      (about 1e-5). Answers that are empty or whitespace score the lowest log-odds of any
      training exemplar of the style, so a blank answer never beats a real one that lacks
      the style. The embeddings of the last two batches are cached, so scoring the same
      answers for all nine probed styles embeds them once.
    - ``concise``: ``−max(words, 1)``, :class:`~mdpo.scorers.LengthScorer` with
      ``unit="words"`` and ``floor=1`` (an empty answer ties a one-word answer). For another
      unit, use ``get_scorer("length", ...)`` directly.

    The prompt is not used: all ten score the answer alone (for ``helpful``, adding the
    MiniLM prompt–answer cosine did not improve the cross-validated AUROC on the training
    exemplars). The instance's ``name`` is the style, so ten scorers name ten dimensions.
    The embedding model is loaded on first use, not at import or construction.

    Args:
        style: One of :data:`STYLES`.
        model_path: A sentence-transformers folder; defaults to the bundled all-MiniLM-L6-v2
            (:func:`~mdpo.scorers.minilm_path`).
        batch_size: Texts per forward pass.
        device: ``"cpu"``, ``"cuda"``...; ``None`` lets sentence-transformers choose.
        cross_style_weight: The weight of the other styles' positives as negatives
            (:data:`CROSS_STYLE_WEIGHT`); 0 fits on the style's own exemplars only.

    Raises:
        ValueError: If ``style`` is not one of :data:`STYLES` (the message lists them),
            ``batch_size`` is not a positive int or ``cross_style_weight`` is negative or
            not finite.
        TypeError: If ``style`` is not a str.

    Example:
        >>> from mdpo.scorers import get_scorer
        >>> formal = get_scorer("style", style="formal")
        >>> s = formal(["How do I ask for a day off?"] * 2,
        ...            ["I would advise submitting a written request to your manager.",
        ...             "just text ur boss lol, say u need a day"])
        >>> formal.name, bool(s[0] > s[1])
        ('formal', True)
        >>> get_scorer("style", style="concise")(["q", "q"], ["Yes.", "Yes, I think so."])
        tensor([-1., -4.])
    """

    name = "style"

    def __init__(
        self,
        style: str,
        *,
        model_path: str | os.PathLike[str] | None = None,
        batch_size: int = 64,
        device: str | None = None,
        cross_style_weight: float = CROSS_STYLE_WEIGHT,
    ) -> None:
        self.style = _check_style(style)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.cross_style_weight = check_real(
            "cross_style_weight", cross_style_weight, low=0.0, noun="number"
        )
        self.name = self.style  # the dimension name
        self.model_path = os.fspath(model_path) if model_path is not None else None
        self.batch_size = batch_size
        self.device = device
        self._length = LengthScorer(unit="words", floor=_CONCISE_FLOOR)

    def _path(self) -> str:
        return self.model_path if self.model_path is not None else str(minilm_path())

    @property
    def model(self) -> Any:
        """The ``SentenceTransformer``, loaded on first use and shared across instances."""
        return _load(self._path(), self.device)

    def _score(self, prompts: list[str], completions: list[str]) -> torch.Tensor:
        if self.style == "concise":
            return self._length(prompts, completions)
        probe = _probe(self.style, self._path(), self.device, self.cross_style_weight)
        emb = _embed_batch(self._path(), self.device, self.batch_size, tuple(completions))
        scores = emb @ probe.weight + probe.bias
        blank = torch.tensor([not c.strip() for c in completions])
        return torch.where(blank, torch.full_like(scores, probe.empty), scores)

    def __repr__(self) -> str:
        weight = self.cross_style_weight
        extra = "" if weight == CROSS_STYLE_WEIGHT else f", cross_style_weight={weight:g}"
        return f"StyleScorer(style={self.style!r}{extra})"
