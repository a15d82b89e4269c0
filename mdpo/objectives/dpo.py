"""DPO on preference pairs: per-dimension ``(prompt, chosen, rejected)`` or paired m-label data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from mdpo.data import (
    PairCollator,
    PairedDPOConfig,
    as_rows,
    label_to_index,
    preference_rows,
    validate_dpo,
)
from mdpo.data import validate_paired_dpo as _validate_paired

from .base import Objective, ObjectiveInputs, check_dim_names, scatter_rows
from .losses import dpo_loss
from .output import LossOutput

__all__ = ["DPOObjective", "reference_column"]


def reference_column(response_column: str) -> str:
    """Name of the optional precomputed reference log-prob column of a response column.

    Args:
        response_column: ``"chosen"``, ``"rejected"``, ``"response_0"`` or ``"response_1"``.

    Returns:
        ``"ref_<response_column>_logps"``; when every example carries both responses'
        columns, the reference forward is skipped.

    Example:
        >>> from mdpo.objectives import reference_column
        >>> reference_column("chosen")
        'ref_chosen_logps'
    """
    return f"ref_{response_column}_logps"


class DPOObjective(Objective):
    """DPO per dimension, computing each response's log-probs **once** whatever m is.

    Two data layouts:

    - **Paired multi-dimension** (``label_columns`` given, or several ``dim_names``):
      ``prompt``, ``response_0``, ``response_1`` and one label column per dimension (the
      better response's index; -1/None masks that dimension for that pair).
    - **Per dimension**: ``prompt``, ``chosen``, ``rejected`` (one dimension).

    Both responses of every pair go through the policy in one forward (and the reference
    in one no-grad forward with the adapter disabled); each dimension then picks its chosen
    and rejected log-probs by its label. Precomputed reference log-probs in the columns
    :func:`reference_column` names skip the reference forward.

    Args:
        dim_names: Dimension name(s); None for a per-dimension objective named later by
            :class:`~mdpo.objectives.MultiObjective`.
        beta: DPO's β.
        label_smoothing: Conservative-DPO ε.
        label_columns: ``{dimension: label column}`` (or a
            :class:`~mdpo.data.PairedDPOConfig`) for paired data. With several
            ``dim_names`` and no ``label_columns``, each dimension's label column is its name.
        max_length: Maximum prompt + response tokens.
        max_prompt_length: Maximum prompt tokens (the prompt is truncated first).
        chat_template: See :class:`~mdpo.data.CompletionCollator`.
        ref_model: Explicit reference model (default: the policy with its adapter disabled).

    Raises:
        ValueError: For inconsistent names and label columns, or bad β/ε.

    Example:
        >>> from mdpo.objectives import DPOObjective
        >>> obj = DPOObjective(label_columns={"helpful": "better", "safe": "safer"})
        >>> obj.dim_names, obj.paired
        (['helpful', 'safe'], True)
        >>> DPOObjective("helpful").paired
        False
    """

    kind = "dpo"
    fixed_sequences = True

    def __init__(
        self,
        dim_names: str | Sequence[str] | None = None,
        *,
        beta: float = 0.1,
        label_smoothing: float = 0.0,
        label_columns: Mapping[str, str] | PairedDPOConfig | None = None,
        max_length: int | None = 512,
        max_prompt_length: int | None = None,
        chat_template: bool | None = None,
        ref_model: Any = None,
    ) -> None:
        names = check_dim_names(dim_names)
        if label_columns is None and names is not None and len(names) > 1:
            label_columns = {n: n for n in names}
        self.config: PairedDPOConfig | None = None
        if label_columns is not None:
            self.config = (
                label_columns
                if isinstance(label_columns, PairedDPOConfig)
                else PairedDPOConfig(label_columns=label_columns)
            )
            if names is not None and names != self.config.dim_names:
                raise ValueError(
                    f"dim_names {names} must equal the label_columns keys {self.config.dim_names}"
                )
            names = self.config.dim_names
        # Validate β and ε once, here, rather than at the first step.
        zero = torch.zeros(())
        dpo_loss(zero, zero, zero, zero, beta=beta, label_smoothing=label_smoothing)
        self.dim_names = names
        self.beta = float(beta)
        self.label_smoothing = float(label_smoothing)
        self.ref_model = ref_model
        responses = self.config.response_columns if self.config else ("chosen", "rejected")
        prompt_column = self.config.prompt_column if self.config else "prompt"
        self.prompt_column = prompt_column
        self.collator = PairCollator(
            None,
            response_columns=responses,
            prompt_column=prompt_column,
            max_length=max_length,
            max_prompt_length=max_prompt_length,
            chat_template=chat_template,
        )

    @property
    def paired(self) -> bool:
        """True for paired multi-dimension data (labels), False for chosen/rejected data."""
        return self.config is not None

    def prepare_data(self, data: Any) -> Any:
        """Paired data as it is; chosen/rejected data in any TRL preference format.

        Per-dimension data may be standard or conversational, with an explicit ``prompt``
        or an implicit one (the shared beginning of ``chosen`` and ``rejected``, split off
        by :func:`mdpo.data.preference_rows`).

        Args:
            data: Any container :func:`mdpo.data.as_rows` reads.

        Returns:
            Random-access rows with ``prompt``, ``chosen`` and ``rejected`` (or the paired
            columns).

        Raises:
            TypeError: For a container of another type.
            ValueError: For data in no preference format (naming the columns present).
        """
        return as_rows(data) if self.config is not None else preference_rows(data)

    def validate_data(self, data: Any) -> None:
        """Check paired data (:func:`~mdpo.data.validate_paired_dpo`) or chosen/rejected data.

        Raises as :meth:`Objective.validate_data <mdpo.objectives.Objective.validate_data>`.
        """
        if self.config is not None:
            _validate_paired(data, self.config)
        else:
            validate_dpo(data)

    @property
    def reference_columns(self) -> list[str]:
        """The columns of precomputed reference log-probs, one per response column."""
        return [reference_column(c) for c in self.collator.response_columns]

    def reference_logps(
        self, model: Any, examples: Sequence[Mapping[str, Any]], tokenizer: Any
    ) -> torch.Tensor:
        """The reference's summed log-probs of each example's two responses, as a step has them.

        The pairs are tokenized and truncated by the objective's collator and scored by its
        reference (``ref_model``, or ``model`` with its adapter disabled) without gradients;
        a training step that finds these values in the :func:`reference_column` columns
        skips its reference forward pass.

        Args:
            model: The policy (its adapter is disabled for the pass) or any causal LM when
                the objective has a ``ref_model``.
            examples: ``n`` rows of the objective's layout, with their plain prompts.
            tokenizer: The tokenizer.

        Returns:
            ``[2, n]`` float32 on the CPU: row 0 the first response column's log-probs
            (``response_0`` or ``chosen``), row 1 the second's; NaN for a pair the collator
            drops (its truncation leaves a response empty).
        """
        self.collator.tokenizer = tokenizer
        batch = self.collator(list(examples))
        kept = batch["kept"]
        out = torch.full((2, len(examples)), float("nan"), dtype=torch.float32)
        if len(kept):
            ref, _ = self._reference_logps(model, batch, self.ref_model)
            out[:, kept] = ref.detach().float().cpu().view(2, -1)
        return out

    def _labels(self, examples: Sequence[Mapping[str, Any]], device: torch.device) -> torch.Tensor:
        if self.config is None:
            return torch.zeros(len(examples), 1, dtype=torch.long, device=device)
        cols = list(self.config.label_columns.values())
        values = []
        for i, ex in enumerate(examples):
            try:
                values.append([label_to_index(ex.get(c)) for c in cols])
            except ValueError as err:
                raise ValueError(f"examples[{i}]: {err} (label columns {cols})") from err
        return torch.tensor(values, dtype=torch.long, device=device)

    def _precomputed(
        self, examples: Sequence[Mapping[str, Any]], kept: torch.Tensor
    ) -> torch.Tensor | None:
        cols = self.reference_columns
        rows = [examples[i] for i in kept.tolist()]
        if not rows or not all(c in ex and ex[c] is not None for ex in rows for c in cols):
            return None
        return torch.tensor([[float(ex[c]) for ex in rows] for c in cols]).flatten()

    def _compute(self, call: ObjectiveInputs) -> LossOutput:
        """DPO losses of ``B`` pairs at their rows' λ.

        Args:
            call: The rows (paired or chosen/rejected layout) and their λ ``[B, M]``; the
                generator is unused (DPO draws nothing).

        Returns:
            ``LossOutput`` with ``losses [B, m]`` (m = ``len(dim_names)``) and ``mask [B, m]``
            False for masked labels and dropped pairs; metrics ``dpo/<dim>/loss``,
            ``dpo/<dim>/margin`` (mean β-scaled implicit reward margin), ``dpo/<dim>/accuracy``
            and ``J/<dim>`` (= −mean loss) over the rows with signal (NaN for a dimension
            with none), and ``dpo/<dims>/dropped`` (pairs dropped by truncation).
        """
        model, examples, preferences, tokenizer, conditioning, _ = call
        dims = self._require_dims()
        B = len(examples)
        formatted = conditioning._formatted(
            [ex[self.prompt_column] for ex in examples], preferences
        )
        rows = [{**ex, self.prompt_column: p} for ex, p in zip(examples, formatted)]
        self.collator.tokenizer = tokenizer
        batch = self.collator(rows)
        kept = batch["kept"]
        if len(kept) == 0:
            return self._no_signal(B, "dropped")
        policy, _ = self._policy_logps(model, batch, preferences[kept].repeat(2, 1), conditioning)
        device = policy.device
        ref = self._precomputed(examples, kept)
        if ref is None:
            ref, _ = self._reference_logps(model, batch, self.ref_model)
        ref = ref.to(device=device, dtype=policy.dtype)
        labels = self._labels(examples, device)[kept.to(device)]  # [n, m]
        pairs = PairLogps(kept, policy, ref, labels)
        loss, margins, has, row_preferences = self._pair_losses(pairs, examples, preferences)
        metrics = _dpo_metrics(dims, loss.detach(), margins, has)
        metrics[f"dpo/{'+'.join(dims)}/dropped"] = torch.tensor(float(B - len(kept)))
        return LossOutput(
            losses=scatter_rows(loss, kept, B),
            mask=scatter_rows(has, kept, B),
            metrics=metrics,
            preferences=row_preferences,
        )

    def _pair_losses(
        self,
        pairs: PairLogps,
        examples: Sequence[Mapping[str, Any]],
        preferences: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """The losses of the n kept pairs (the hook a DPO variant overrides).

        Args:
            pairs: The kept pairs' log-probs and labels.
            examples: The ``B`` rows of the batch.
            preferences: ``[B, m]`` λ per row.

        Returns:
            ``(loss [n, m], margins [n, m], has [n, m], preferences [B, m] or None)``: the
            losses (0 where ``has`` is False), the detached margins inside the sigmoid, the
            signal mask, and the λ rows the output's aggregation should use (None: the rows').
        """
        pc, pr, rc, rr = pairs.chosen_rejected()
        has = pairs.labels >= 0
        loss = dpo_loss(pc, pr, rc, rr, beta=self.beta, label_smoothing=self.label_smoothing)
        loss = torch.where(has, loss, 0.0)
        margins = (self.beta * ((pc - rc) - (pr - rr))).detach()
        return loss, margins, has, None


@dataclass
class PairLogps:
    """Sequence log-probs of the n kept pairs of a batch, both responses.

    Attributes:
        kept: ``[n]`` the kept rows' indices in the batch.
        policy: ``[2n]`` policy log-probs: the n first responses, then the n second.
        reference: ``[2n]`` reference log-probs, in the same order.
        labels: ``[n, m]`` the better response's index per dimension (-1: no label).
    """

    kept: torch.Tensor
    policy: torch.Tensor
    reference: torch.Tensor
    labels: torch.Tensor

    def chosen_rejected(
        self, labels: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Policy and reference log-probs of the chosen and rejected response by ``labels``.

        Args:
            labels: ``[n, c]`` labels to pick by; :attr:`labels` when None.

        Returns:
            ``(policy chosen, policy rejected, reference chosen, reference rejected)``,
            each ``[n, c]``.
        """
        labels = self.labels if labels is None else labels
        n = len(self.kept)
        second = labels == 1
        first_or_second = []
        for values in (self.policy, self.reference):
            first_or_second.append(torch.where(second, values[n:, None], values[:n, None]))
            first_or_second.append(torch.where(second, values[:n, None], values[n:, None]))
        pc, pr, rc, rr = first_or_second
        return pc, pr, rc, rr


def _dpo_metrics(
    dims: list[str], loss: torch.Tensor, margins: torch.Tensor, has: torch.Tensor
) -> dict[str, torch.Tensor]:
    metrics: dict[str, torch.Tensor] = {}
    seen = has.sum(dim=0)
    count = seen.clamp(min=1).float()
    mean_loss = torch.where(has, loss, 0.0).sum(dim=0) / count
    mean_margin = torch.where(has, margins, 0.0).sum(dim=0) / count
    accuracy = (has & (margins > 0)).sum(dim=0).float() / count
    # A dimension with no labelled pair in this batch reports NaN, not a fake 0.
    nan = torch.tensor(float("nan"), device=loss.device)
    mean_loss, mean_margin, accuracy = (
        torch.where(seen > 0, t, nan) for t in (mean_loss, mean_margin, accuracy)
    )
    for i, d in enumerate(dims):
        metrics[f"dpo/{d}/loss"] = mean_loss[i].cpu()
        metrics[f"dpo/{d}/margin"] = mean_margin[i].cpu()
        metrics[f"dpo/{d}/accuracy"] = accuracy[i].cpu()
        metrics[f"J/{d}"] = -mean_loss[i].cpu()
    return metrics
