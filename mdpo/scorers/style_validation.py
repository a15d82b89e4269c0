"""AUROC of the ten style scorers on their training and held-out validation exemplars.

Each :class:`~mdpo.scorers.StyleScorer` scores the answers of its style in one split of the
shipped exemplars (:func:`~mdpo.scorers.load_style_exemplars`); the AUROC is the probability
that an answer in the style outscores a neutral or opposite one (scikit-learn's
``roc_auc_score``). The training AUROC is in-sample (the probes are fitted on those answers);
the validation AUROC is the honest one: those prompts, topics and answers were never used to
build or tune the scorers. Reproduce the table of the scorers guide with::

    python -m mdpo.scorers.style_validation --json style_auroc.json
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .relevance import minilm_path
from .style import (
    CROSS_STYLE_WEIGHT,
    PROBE_C,
    STYLES,
    StyleScorer,
    _check_style,
    _design,
    _fit,
    _read,
    _train_embeddings,
    load_style_exemplars,
)

__all__ = [
    "AUROC_TARGET",
    "CROSS_STYLE_WEIGHT_GRID",
    "PROBE_C_GRID",
    "cross_style_weight_selection",
    "format_style_table",
    "main",
    "probe_c_selection",
    "style_auroc",
    "style_specificity",
    "style_table",
    "train_cv",
]

AUROC_TARGET = 0.85
"""The validation AUROC every style scorer should reach."""


def _scores(
    rows: Sequence[dict[str, Any]], style: str, cross_style_weight: float, device: str | None
) -> Any:
    scorer = StyleScorer(style, device=device, cross_style_weight=cross_style_weight)
    return scorer([r["prompt"] for r in rows], [r["answer"] for r in rows]).double().numpy()


def style_auroc(
    style: str,
    split: str = "validation",
    *,
    cross_style_weight: float = CROSS_STYLE_WEIGHT,
    device: str | None = None,
) -> dict[str, Any]:
    """The AUROC of one style scorer on one split of the exemplars.

    Args:
        style: One of :data:`~mdpo.scorers.STYLES`.
        split: ``"train"`` or ``"validation"``.
        cross_style_weight: Passed to :class:`~mdpo.scorers.StyleScorer`.
        device: Passed to :class:`~mdpo.scorers.StyleScorer`.

    Returns:
        ``{"auroc": float, "positives": int, "negatives": int}``.

    Raises:
        ValueError: If ``style`` or ``split`` is unknown.
    """
    from sklearn.metrics import roc_auc_score

    rows = load_style_exemplars(split, _check_style(style))
    labels = [r["label"] for r in rows]
    return {
        "auroc": float(roc_auc_score(labels, _scores(rows, style, cross_style_weight, device))),
        "positives": sum(labels),
        "negatives": len(labels) - sum(labels),
    }


def style_specificity(
    style: str,
    split: str = "validation",
    *,
    cross_style_weight: float = CROSS_STYLE_WEIGHT,
    device: str | None = None,
) -> float:
    """How well a style scorer tells its style from the *other* styles.

    The AUROC of the scorer between the positive answers of ``style`` and the positive
    answers of every other style in the split: 0.5 when the scorer rewards any marked style
    as much as its own.

    Args:
        style: The style whose scorer is used and whose positives count as positives.
        split: The split whose positive answers are compared (``"validation"``/``"train"``).
        cross_style_weight: The scorer's weight of other styles' positives in fitting.
        device: The embedding device.

    Returns:
        The AUROC.

    Raises:
        ValueError: For an unknown style or split.
    """
    from sklearn.metrics import roc_auc_score

    _check_style(style)
    rows = [r for r in load_style_exemplars(split) if r["label"] == 1]
    own = [int(r["style"] == style) for r in rows]
    return float(roc_auc_score(own, _scores(rows, style, cross_style_weight, device)))


PROBE_C_GRID = (0.1, 1.0, 10.0, 100.0)
"""The probe strengths :func:`probe_c_selection` compares."""

CROSS_STYLE_WEIGHT_GRID = (0.0, 0.1, 0.3, 1.0)
"""The cross-style weights :func:`cross_style_weight_selection` compares."""


def train_cv(
    style: str,
    *,
    C: float = PROBE_C,
    cross_style_weight: float = CROSS_STYLE_WEIGHT,
    folds: int = 5,
    device: str | None = None,
) -> dict[str, float]:
    """Cross-validated AUROC and specificity of a style's probe on the *training* set alone.

    The training answers of the nine probed styles are split into ``folds`` folds grouped by
    prompt (scikit-learn's ``GroupKFold``; both answers to a prompt land in the same fold).
    Each fold is scored by a probe fitted, as :class:`~mdpo.scorers.StyleScorer` fits it, on
    the rows of the other folds. ``auroc`` is the AUROC over the out-of-fold scores of the
    style's own exemplars; ``specificity`` the AUROC between its positives and the other
    probed styles' positives, out of fold too. For ``concise``, which fits nothing, both are
    the length scorer's plain training values.

    Args:
        style: One of :data:`~mdpo.scorers.STYLES`.
        C: The inverse L2 strength of the probe.
        cross_style_weight: The weight of the other styles' positives as negatives.
        folds: The number of folds.
        device: The embedding device.

    Returns:
        ``{"auroc": float, "specificity": float}``.

    Raises:
        ValueError: If ``style`` is unknown.
    """
    import numpy as np
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold

    if _check_style(style) == "concise":
        return {
            "auroc": style_auroc(style, "train", device=device)["auroc"],
            "specificity": style_specificity(style, "train", device=device),
        }
    rows = _read("train")
    x = _train_embeddings(str(minilm_path()), device).numpy()
    index, labels, weights = _design(style, cross_style_weight)
    fit_rows = dict(zip(index, zip(labels, weights)))
    probed = [i for i, r in enumerate(rows) if r["style"] != "concise"]
    scores = np.zeros(len(rows))
    splits = GroupKFold(folds).split(probed, groups=[rows[i]["prompt"] for i in probed])
    for train, test in splits:
        use = [probed[j] for j in train if probed[j] in fit_rows]
        fit = _fit(x[use], *zip(*(fit_rows[i] for i in use)), C=C)
        held = [probed[j] for j in test]
        scores[held] = fit.decision_function(x[held])
    own = [i for i in probed if rows[i]["style"] == style]
    positives = [i for i in probed if rows[i]["label"] == 1]
    return {
        "auroc": float(roc_auc_score([rows[i]["label"] for i in own], scores[own])),
        "specificity": float(
            roc_auc_score([int(rows[i]["style"] == style) for i in positives], scores[positives])
        ),
    }


def _mean_cv(key: str, device: str | None, **kwargs: float) -> float:
    probed = [s for s in STYLES if s != "concise"]
    return sum(train_cv(s, device=device, **kwargs)[key] for s in probed) / len(probed)


def probe_c_selection(
    cs: Sequence[float] = PROBE_C_GRID, *, device: str | None = None
) -> dict[float, float]:
    """Mean over the nine probed styles of the training-CV AUROC (:func:`train_cv`), per C.

    How :data:`~mdpo.scorers.PROBE_C` was chosen: on the training exemplars only, without
    cross-style negatives.

    Args:
        cs: The strengths to compare.
        device: The embedding device.

    Returns:
        ``{C: mean cross-validated AUROC}``.
    """
    return {float(c): _mean_cv("auroc", device, C=c, cross_style_weight=0.0) for c in cs}


def cross_style_weight_selection(
    weights: Sequence[float] = CROSS_STYLE_WEIGHT_GRID, *, device: str | None = None
) -> dict[float, dict[str, float]]:
    """Mean training-CV AUROC and specificity over the nine probed styles, per weight.

    How :data:`~mdpo.scorers.CROSS_STYLE_WEIGHT` was chosen: the weight with the best mean of
    the two, on the training exemplars only.

    Args:
        weights: The ``cross_style_weight`` values to compare.
        device: The embedding device.

    Returns:
        ``{weight: {"auroc": ..., "specificity": ...}}``.
    """
    return {
        float(w): {
            key: _mean_cv(key, device, cross_style_weight=w) for key in ("auroc", "specificity")
        }
        for w in weights
    }


def style_table(
    styles: Sequence[str] = STYLES,
    *,
    cross_style_weight: float = CROSS_STYLE_WEIGHT,
    device: str | None = None,
) -> list[dict[str, Any]]:
    """Training and validation AUROC, and validation specificity, of each style scorer.

    Args:
        styles: Style names, in table order.
        cross_style_weight: Passed to :class:`~mdpo.scorers.StyleScorer`.
        device: Passed to :class:`~mdpo.scorers.StyleScorer`.

    Returns:
        One dict per style: ``style``, ``train_auroc`` (in-sample), ``train_cv_auroc``
        (:func:`train_cv`), ``val_auroc``, ``val_specificity`` (:func:`style_specificity`),
        ``val_positives``, ``val_negatives`` and ``meets_target`` (validation AUROC ≥
        :data:`AUROC_TARGET`).

    Raises:
        ValueError: If a style is unknown.
    """
    out = []
    kwargs = {"cross_style_weight": cross_style_weight, "device": device}
    for style in styles:
        val = style_auroc(style, "validation", **kwargs)
        out.append(
            {
                "style": style,
                "train_auroc": style_auroc(style, "train", **kwargs)["auroc"],
                "train_cv_auroc": train_cv(style, **kwargs)["auroc"],
                "val_auroc": val["auroc"],
                "val_specificity": style_specificity(style, "validation", **kwargs),
                "val_positives": val["positives"],
                "val_negatives": val["negatives"],
                "meets_target": val["auroc"] >= AUROC_TARGET,
            }
        )
    return out


def format_style_table(rows: Sequence[dict[str, Any]]) -> str:
    """A Markdown table of :func:`style_table`'s rows.

    Args:
        rows: The rows.

    Returns:
        The table, one line per style, with AUROCs to three decimals.

    Example:
        >>> from mdpo.scorers.style_validation import format_style_table
        >>> print(format_style_table([{"style": "formal", "train_auroc": 1.0,
        ...                            "train_cv_auroc": 0.95, "val_auroc": 0.9,
        ...                            "val_specificity": 0.8, "val_positives": 20,
        ...                            "val_negatives": 20, "meets_target": True}]))
        | style | train AUROC | train CV AUROC | val AUROC | val +/− | ≥ 0.85 | val specificity |
        |---|---|---|---|---|---|---|
        | formal | 1.000 | 0.950 | 0.900 | 20/20 | yes | 0.800 |
    """
    lines = [
        f"| style | train AUROC | train CV AUROC | val AUROC | val +/− "
        f"| ≥ {AUROC_TARGET:g} | val specificity |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['style']} | {r['train_auroc']:.3f} | {r['train_cv_auroc']:.3f} "
            f"| {r['val_auroc']:.3f} "
            f"| {r['val_positives']}/{r['val_negatives']} | "
            f"{'yes' if r['meets_target'] else 'no'} | {r['val_specificity']:.3f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the AUROC table as Markdown; optionally write it as JSON.

    Args:
        argv: Command-line arguments (default ``sys.argv[1:]``): ``--json PATH``,
            ``--device DEVICE``, ``--styles NAME ...``, ``--cross-style-weight W``, and
            ``--select-c`` or ``--select-cross-style-weight`` to print
            :func:`probe_c_selection` or :func:`cross_style_weight_selection` instead of
            the table.

    Returns:
        0.
    """
    parser = argparse.ArgumentParser(
        prog="python -m mdpo.scorers.style_validation",
        description="AUROC of the style scorers on their training and validation exemplars.",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    parser.add_argument("--device", default=None, help="embedding device (default: auto)")
    parser.add_argument("--styles", nargs="+", default=list(STYLES), choices=STYLES)
    parser.add_argument("--cross-style-weight", type=float, default=CROSS_STYLE_WEIGHT)
    parser.add_argument(
        "--select-c", action="store_true", help="compare probe strengths by training CV"
    )
    parser.add_argument(
        "--select-cross-style-weight",
        action="store_true",
        help="compare cross-style weights by training CV",
    )
    args = parser.parse_args(argv)
    if args.select_c:
        for c, auroc in probe_c_selection(device=args.device).items():
            print(f"C = {c:g}: mean training CV AUROC {auroc:.3f}")
        return 0
    if args.select_cross_style_weight:
        for w, cv in cross_style_weight_selection(device=args.device).items():
            print(
                f"cross_style_weight = {w:g}: mean training CV AUROC {cv['auroc']:.3f}, "
                f"specificity {cv['specificity']:.3f}"
            )
        return 0
    rows = style_table(args.styles, cross_style_weight=args.cross_style_weight, device=args.device)
    print(format_style_table(rows))
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
