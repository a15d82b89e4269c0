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
    PROBE_C,
    STYLES,
    StyleScorer,
    _check_style,
    _read,
    _train_embeddings,
    load_style_exemplars,
)

__all__ = [
    "AUROC_TARGET",
    "PROBE_C_GRID",
    "format_style_table",
    "main",
    "probe_c_selection",
    "style_auroc",
    "style_table",
    "train_cv_auroc",
]

AUROC_TARGET = 0.85
"""The validation AUROC every style scorer should reach."""


def style_auroc(
    style: str, split: str = "validation", *, device: str | None = None
) -> dict[str, Any]:
    """The AUROC of one style scorer on one split of the exemplars.

    Args:
        style: One of :data:`~mdpo.scorers.STYLES`.
        split: ``"train"`` or ``"validation"``.
        device: Passed to :class:`~mdpo.scorers.StyleScorer`.

    Returns:
        ``{"auroc": float, "positives": int, "negatives": int}``.

    Raises:
        ValueError: If ``style`` or ``split`` is unknown.
    """
    from sklearn.metrics import roc_auc_score

    rows = load_style_exemplars(split, _check_style(style))
    scores = StyleScorer(style, device=device)(
        [r["prompt"] for r in rows], [r["answer"] for r in rows]
    )
    labels = [r["label"] for r in rows]
    return {
        "auroc": float(roc_auc_score(labels, scores.double().numpy())),
        "positives": sum(labels),
        "negatives": len(labels) - sum(labels),
    }


PROBE_C_GRID = (0.1, 1.0, 10.0, 100.0)
"""The probe strengths :func:`probe_c_selection` compares."""


def train_cv_auroc(
    style: str, *, C: float = PROBE_C, folds: int = 5, device: str | None = None
) -> float:
    """Cross-validated AUROC of a style's probe on the *training* exemplars alone.

    The training exemplars of ``style`` are split into ``folds`` folds grouped by prompt
    (scikit-learn's ``GroupKFold``; both answers to a prompt land in the same fold); each
    fold is scored by a probe fitted on the others as :class:`~mdpo.scorers.StyleScorer`
    fits it, and the AUROC is taken over all out-of-fold scores. For ``concise``, which
    fits nothing, it is the length scorer's AUROC on the training exemplars.

    Args:
        style: One of :data:`~mdpo.scorers.STYLES`.
        C: The inverse L2 strength of the probe.
        folds: The number of folds.
        device: The embedding device.

    Returns:
        The AUROC.

    Raises:
        ValueError: If ``style`` is unknown.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold, cross_val_predict

    if _check_style(style) == "concise":
        return style_auroc(style, "train", device=device)["auroc"]
    rows = _read("train")
    index = [i for i, r in enumerate(rows) if r["style"] == style]
    x = _train_embeddings(str(minilm_path()), device)[index].numpy()
    y = [rows[i]["label"] for i in index]
    scores = cross_val_predict(
        LogisticRegression(C=C, max_iter=5000),
        x,
        y,
        groups=[rows[i]["prompt"] for i in index],
        cv=GroupKFold(folds),
        method="decision_function",
    )
    return float(roc_auc_score(y, scores))


def probe_c_selection(
    cs: Sequence[float] = PROBE_C_GRID, *, device: str | None = None
) -> dict[float, float]:
    """Mean over the nine probed styles of :func:`train_cv_auroc`, per probe strength.

    How :data:`~mdpo.scorers.PROBE_C` was chosen: on the training exemplars only.

    Args:
        cs: The strengths to compare.
        device: The embedding device.

    Returns:
        ``{C: mean cross-validated AUROC}``.
    """
    probed = [s for s in STYLES if s != "concise"]
    return {
        float(c): sum(train_cv_auroc(s, C=c, device=device) for s in probed) / len(probed)
        for c in cs
    }


def style_table(
    styles: Sequence[str] = STYLES, *, device: str | None = None
) -> list[dict[str, Any]]:
    """Training and validation AUROC of each style scorer.

    Args:
        styles: Style names, in table order.
        device: Passed to :class:`~mdpo.scorers.StyleScorer`.

    Returns:
        One dict per style: ``style``, ``train_auroc`` (in-sample), ``train_cv_auroc``
        (:func:`train_cv_auroc`), ``val_auroc``, ``val_positives``, ``val_negatives`` and
        ``meets_target`` (validation AUROC ≥ :data:`AUROC_TARGET`).

    Raises:
        ValueError: If a style is unknown.
    """
    out = []
    for style in styles:
        train = style_auroc(style, "train", device=device)
        val = style_auroc(style, "validation", device=device)
        out.append(
            {
                "style": style,
                "train_auroc": train["auroc"],
                "train_cv_auroc": train_cv_auroc(style, device=device),
                "val_auroc": val["auroc"],
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
        ...                            "val_positives": 20, "val_negatives": 20,
        ...                            "meets_target": True}]))
        | style | train AUROC | train CV AUROC | validation AUROC | validation +/− | ≥ 0.85 |
        |---|---|---|---|---|---|
        | formal | 1.000 | 0.950 | 0.900 | 20/20 | yes |
    """
    lines = [
        f"| style | train AUROC | train CV AUROC | validation AUROC | validation +/− "
        f"| ≥ {AUROC_TARGET:g} |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['style']} | {r['train_auroc']:.3f} | {r['train_cv_auroc']:.3f} "
            f"| {r['val_auroc']:.3f} "
            f"| {r['val_positives']}/{r['val_negatives']} | "
            f"{'yes' if r['meets_target'] else 'no'} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the AUROC table as Markdown; optionally write it as JSON.

    Args:
        argv: Command-line arguments (default ``sys.argv[1:]``): ``--json PATH``,
            ``--device DEVICE``, ``--styles NAME ...``, and ``--select-c`` to print
            :func:`probe_c_selection` instead of the table.

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
    parser.add_argument(
        "--select-c", action="store_true", help="compare probe strengths by training CV"
    )
    args = parser.parse_args(argv)
    if args.select_c:
        for c, auroc in probe_c_selection(device=args.device).items():
            print(f"C = {c:g}: mean training CV AUROC {auroc:.3f}")
        return 0
    rows = style_table(args.styles, device=args.device)
    print(format_style_table(rows))
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
