r"""MODPO: DPO on one target dimension with a margin from the other dimensions' rewards.

Zhou et al. (2023), "Beyond One-Preference-Fits-All Alignment: Multi-Objective Direct
Preference Optimization". For a weight vector w = λ, a target dimension k (the one whose
preference labels train the model) and rewards r_i of the other dimensions, the loss of a
pair (y_w ≻_k y_l) is

.. math::

    -\log\sigma\Big(\frac{\beta}{w_k}\Big[\log\frac{\pi_\theta(y_w)}{\pi_{ref}(y_w)}
    - \log\frac{\pi_\theta(y_l)}{\pi_{ref}(y_l)}\Big]
    - \frac{1}{w_k}\sum_{i \ne k} w_i \big(r_i(x, y_w) - r_i(x, y_l)\big)\Big).

Its minimiser under Bradley–Terry labels on r_k is the KL-regularised optimum of
Σ_i w_i r_i: ``π*_w ∝ π_ref · exp(Σ_i w_i r_i / β)``. Here the target is the dimension of
largest weight (the first on ties), so w_k ≥ 1/m > 0 at every λ.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F

from mdpo._numbers import check_real
from mdpo.data import column_names

from .dpo import DPOObjective, PairLogps

__all__ = ["MODPOObjective", "modpo_loss", "reward_column", "target_dimension"]


def target_dimension(preference: torch.Tensor) -> torch.Tensor:
    """The target dimension of MODPO at λ: the largest weight, the first one on ties.

    Args:
        preference: λ ``[..., m]``.

    Returns:
        ``[...]`` int64 indices.

    Example:
        >>> import torch
        >>> from mdpo.objectives import target_dimension
        >>> target_dimension(torch.tensor([[0.25, 0.75], [0.5, 0.5]])).tolist()
        [1, 0]
    """
    top = preference.max(dim=-1, keepdim=True).values
    first = torch.arange(preference.shape[-1], device=preference.device)
    return torch.where(preference == top, first, preference.shape[-1]).min(dim=-1).values


def modpo_loss(
    policy_chosen_logps: torch.Tensor,
    policy_rejected_logps: torch.Tensor,
    ref_chosen_logps: torch.Tensor,
    ref_rejected_logps: torch.Tensor,
    margin: torch.Tensor,
    *,
    beta: float,
    weight: torch.Tensor | float,
) -> torch.Tensor:
    """The MODPO loss of each pair (see the module docstring).

    Args:
        policy_chosen_logps: ``[...]`` log-probs of the responses the target prefers.
        policy_rejected_logps: ``[...]`` of the other responses.
        ref_chosen_logps: ``[...]`` under the reference policy.
        ref_rejected_logps: ``[...]`` under the reference policy.
        margin: ``[...]`` Σ_{i≠k} w_i (r_i(x, y_w) − r_i(x, y_l)).
        beta: β > 0.
        weight: The target's weight w_k > 0 (a float or ``[...]``).

    Returns:
        ``[...]`` per-pair losses; with ``margin = 0`` and ``weight = 1`` DPO's.

    Raises:
        ValueError: If ``beta`` is not a finite float > 0 or a weight is not in (0, 1].

    Example:
        >>> import torch
        >>> from mdpo.objectives import dpo_loss, modpo_loss
        >>> x = torch.tensor([-3.0, -5.0])
        >>> modpo_loss(x, x - 1, x - 1, x, torch.zeros(2), beta=0.1, weight=1.0)
        tensor([0.5981, 0.5981])
        >>> dpo_loss(x, x - 1, x - 1, x)
        tensor([0.5981, 0.5981])
    """
    beta = check_real("beta", beta, low=0.0, low_open=True)
    w = torch.as_tensor(weight, dtype=policy_chosen_logps.dtype, device=policy_chosen_logps.device)
    if not bool(((w > 0) & (w <= 1)).all()):
        raise ValueError(f"weight (the target's w_k) must be in (0, 1], got {weight!r}")
    ratio = (policy_chosen_logps - ref_chosen_logps) - (policy_rejected_logps - ref_rejected_logps)
    return -F.logsigmoid((beta * ratio - margin) / w)


def reward_column(dim: str, response_column: str) -> str:
    """Name of the column holding dimension ``dim``'s reward of a response (MODPO's margin).

    Example:
        >>> from mdpo.objectives import reward_column
        >>> reward_column("concise", "response_0")
        'reward/concise/response_0'
    """
    return f"reward/{dim}/{response_column}"


class MODPOObjective(DPOObjective):
    """MODPO on paired multi-dimension data: DPO on the target with the others' margin.

    Each row's λ picks its target k (:func:`target_dimension`): the pair's chosen and
    rejected responses are those of k's label, and the margin is Σ_{i≠k} λ_i (r_i(y_w) −
    r_i(y_l)) with the rewards read from the columns :func:`reward_column` names (in
    Zhou et al.'s practice, β·log π_i/π_ref of a separately trained model per dimension).
    The loss sits in column k of ``losses`` (the only column the row's ``mask`` keeps) and
    the returned ``preferences`` are the one-hot e_k, so that linear scalarisation of the
    output is the MODPO loss itself. A row whose target label is a tie, or whose margin is
    not finite, has no signal. The metrics are DPO's of the target column
    (``dpo/<dim>/margin`` is the margin inside MODPO's sigmoid).

    Args:
        dim_names: The m dimension names (each a label column and a reward column pair).
        beta: β.
        label_columns: ``{dimension: label column}`` (default: each dimension's name).
        max_length: As for :class:`~mdpo.objectives.DPOObjective`.
        max_prompt_length: As for :class:`~mdpo.objectives.DPOObjective`.
        chat_template: As for :class:`~mdpo.objectives.DPOObjective`.
        ref_model: As for :class:`~mdpo.objectives.DPOObjective`.

    Example:
        >>> from mdpo.objectives import MODPOObjective
        >>> obj = MODPOObjective(["helpful", "concise"], beta=0.1)
        >>> obj.dim_names, obj.reward_columns["concise"]
        (['helpful', 'concise'], ('reward/concise/response_0', 'reward/concise/response_1'))
    """

    def __init__(
        self,
        dim_names: Sequence[str],
        *,
        beta: float = 0.1,
        label_columns: Mapping[str, str] | None = None,
        max_length: int | None = 512,
        max_prompt_length: int | None = None,
        chat_template: bool | None = None,
        ref_model: Any = None,
    ) -> None:
        names = list(dim_names) if not isinstance(dim_names, str) else [dim_names]
        super().__init__(
            names,
            beta=beta,
            label_columns=label_columns or {n: n for n in names},
            max_length=max_length,
            max_prompt_length=max_prompt_length,
            chat_template=chat_template,
            ref_model=ref_model,
        )
        responses = self.collator.response_columns
        self.reward_columns = {d: tuple(reward_column(d, c) for c in responses) for d in names}

    def validate_data(self, data: Any) -> None:
        """Paired DPO data (:meth:`DPOObjective.validate_data`) with every reward column.

        Raises:
            ValueError: Naming a missing reward column and the columns present.
        """
        super().validate_data(data)
        present = column_names(data)
        for dim, cols in self.reward_columns.items():
            for col in cols:
                if col not in present:
                    raise ValueError(
                        f"MODPO data is missing the reward column {col!r} of dimension "
                        f"{dim!r}; columns present: {present}"
                    )

    def _rewards(self, examples: Sequence[Mapping[str, Any]], kept: torch.Tensor) -> torch.Tensor:
        """``[n, m, 2]`` rewards of both responses of the kept rows (NaN where missing)."""
        rows = [examples[i] for i in kept.tolist()]
        return torch.tensor(
            [
                [[_float(ex.get(c)) for c in self.reward_columns[d]] for d in self.dim_names]
                for ex in rows
            ],
            dtype=torch.float64,
        ).reshape(len(rows), len(self.reward_columns), 2)

    def _pair_losses(
        self,
        pairs: PairLogps,
        examples: Sequence[Mapping[str, Any]],
        preferences: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """MODPO's losses of the kept pairs, in each row's target column (see the class)."""
        m = preferences.shape[1]
        target = target_dimension(preferences)
        device = pairs.policy.device
        kept = pairs.kept.to(device)
        lam = preferences.to(device)[kept]
        k = target.to(device)[kept][:, None]  # [n, 1]
        labels = pairs.labels.gather(1, k)  # [n, 1]
        pc, pr, rc, rr = pairs.chosen_rejected(labels)
        rewards = self._rewards(examples, pairs.kept).to(device=device, dtype=pc.dtype)
        first_better = (labels == 0)[:, :, None]  # [n, 1, 1]
        chosen = torch.where(first_better, rewards[..., :1], rewards[..., 1:])[..., 0]
        rejected = torch.where(first_better, rewards[..., 1:], rewards[..., :1])[..., 0]
        others = lam.scatter(1, k, 0.0).to(pc.dtype)
        margin = (others * (chosen - rejected)).where(others > 0, 0.0).sum(-1, keepdim=True)
        has_target = (labels >= 0) & margin.isfinite()
        margin = margin.where(has_target, 0.0)
        weight = lam.gather(1, k).to(pc.dtype)
        loss = modpo_loss(pc, pr, rc, rr, margin, beta=self.beta, weight=weight)  # [n, 1]
        inside = ((self.beta * ((pc - rc) - (pr - rr)) - margin) / weight).detach()
        on_target = F.one_hot(k[:, 0], m).bool() & has_target
        loss = torch.where(on_target, loss, 0.0)
        inside = torch.where(on_target, inside, 0.0)
        return loss, inside, on_target, F.one_hot(target, m).to(preferences.dtype)


def _float(value: Any) -> float:
    return float("nan") if value is None else float(value)
