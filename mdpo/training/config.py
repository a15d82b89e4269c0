"""`MDPOConfig`: :class:`transformers.TrainingArguments` plus the MDPO-specific fields."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from transformers import TrainingArguments

from mdpo._numbers import check_real

__all__ = ["PREFERENCE_SAMPLING_MODES", "MDPOConfig"]

PREFERENCE_SAMPLING_MODES = ("per_step", "per_row")
"""Allowed values of :attr:`MDPOConfig.preference_sampling`."""


@dataclass
class MDPOConfig(TrainingArguments):
    r"""Training arguments of :class:`~mdpo.training.MDPOTrainer`.

    Every :class:`transformers.TrainingArguments` field is accepted (``output_dir``,
    ``max_steps``, ``learning_rate``, ``save_steps``, ...). ``per_device_train_batch_size``
    counts **rows** (prompts) per device and micro-batch: a DPO row is one pair, an RLHF row
    one prompt with its k samples. The fields below are added; they are validated in
    ``__post_init__``.

    **Preference sampling.** λ is a pure function of ``(seed, global step, row)`` (see
    :func:`~mdpo.training.training_preferences`), so a resumed or DDP-sharded run draws
    exactly what an uninterrupted single-process run draws.

    **Ideal point.** With ``ideal="track"`` the trainer keeps z in loss space (the same,
    possibly normalised, space the aggregator sees) by this rule: after each micro-batch,
    for every dimension i with at least one kept row,

    .. math:: z_i \leftarrow \min\bigl(z_i,\; \bar l_i - \text{ideal\_margin}\bigr)

    where :math:`\bar l_i` is the micro-batch mean of the kept losses of dimension i. Under
    DDP the candidates of all ranks are combined by their minimum before the update, so
    every rank holds the same z. The micro-batch's aggregate already uses the updated z.
    z is checkpointed. Aggregators without an ideal point (LS) ignore it.

    Args:
        preference_sampling: ``"per_row"`` (each row draws its own λ) or ``"per_step"``
            (one λ per optimizer step, shared by all rows and ranks).
        vertex_prob: Probability in [0, 1] that a draw is a simplex vertex instead of a
            uniform point (see :func:`mdpo.preferences.sample_preferences`).
        fixed_preference: Train at this one λ instead of sampling (``[m]``, non-negative,
            summing to 1). A plain peft-LoRA model (RS experts, DPS members) needs no
            conditioning then; a Panacea model gets λ written into its adapter.
        aggregator: Aggregator name for :func:`mdpo.aggregators.get_aggregator` (``"ls"``,
            ``"tche"``, ``"stche"``, ``"mtche"``, ``"atche"``, ``"pbi"``, ``"cosmos"``).
        aggregator_kwargs: Keyword arguments of the aggregator's constructor.
        ideal: ``"track"`` (the rule above) or an explicit ideal point ``[m]`` in loss
            space, used as is. It lives in the space the aggregator sees: the normalised
            losses when the objective normalises (``MultiObjective(normalize=...)``).
        ideal_margin: The margin subtracted from the tracked minimum (loss units, >= 0).
        dim_names: Expected dimension names; when given they must equal the objective's.
        log_dynamics: At every logging step, also log the adapter's learning dynamics
            (:mod:`mdpo.training.dynamics`): per-layer-group norms (``s/…``, ``sigma/…``,
            ``shared_norm/…``, ``pref_norm/…`` or ``lora_norm/…``), gradient norms per
            parameter kind averaged over the steps since the last log (``grad/…``), and the
            probe on a fixed batch of ``probe_rows`` rows: per-vertex DPO margins and
            accuracies and the λ-sensitivity ``probe/sensitivity``. Costs m extra no-grad
            forwards of the probe batch per logging step.
        probe_rows: Rows in the dynamics probe batch (the rows the objective draws at step
            0 for row indices ``0..probe_rows-1``).
        precompute_ref_log_probs: Score every DPO pair's two responses under the reference
            once, before training (``ref_<response>_logps`` columns, see
            :func:`mdpo.objectives.reference_column`), so a step needs no reference forward
            pass (TRL's option of the same name). The reference then sees the plain prompt
            (with prompt conditioning too, where a step's own reference pass would see the
            λ-annotated one); pairs that already carry both columns keep them.
        precompute_ref_batch_size: Pairs per reference forward pass of the precomputation
            (None: ``per_device_train_batch_size``).
        eval_preference_partitions: Evaluation (``eval_dataset``) runs at every λ of the
            Das–Dennis grid with this many partitions
            (:func:`mdpo.preferences.preference_grid`): 2 gives the m vertices and the
            midpoints, e.g. (1, 0), (0.5, 0.5), (0, 1) for m = 2.

    Raises:
        ValueError: On a bad value (the message names the field, the value and what is
            allowed), including ``remove_unused_columns=True``: the trainer's data are
            global row indices and dimension columns that a model's ``forward`` does not
            take, so that option would drop them.
        TypeError: On a value of the wrong type.

    Example:
        >>> from mdpo.training import MDPOConfig
        >>> cfg = MDPOConfig(output_dir="out", aggregator="tche", vertex_prob=0.3)
        >>> cfg.preference_sampling, cfg.ideal, cfg.remove_unused_columns
        ('per_row', 'track', False)
        >>> MDPOConfig(output_dir="out", preference_sampling="per_epoch")
        Traceback (most recent call last):
        ...
        ValueError: preference_sampling must be one of ('per_step', 'per_row'), got 'per_epoch'
    """

    preference_sampling: str = field(
        default="per_row",
        metadata={"help": "How λ is drawn: 'per_row' or 'per_step'."},
    )
    vertex_prob: float = field(
        default=0.0,
        metadata={"help": "Probability that a λ draw is a simplex vertex."},
    )
    fixed_preference: list[float] | None = field(
        default=None,
        metadata={"help": "Train at this one λ instead of sampling."},
    )
    aggregator: str = field(
        default="ls",
        metadata={"help": "Aggregator name (mdpo.aggregators.get_aggregator)."},
    )
    aggregator_kwargs: dict[str, Any] | None = field(
        default=None,
        metadata={"help": "Keyword arguments of the aggregator."},
    )
    ideal: str | list[float] = field(
        default="track",
        metadata={"help": "'track' or an explicit ideal point in loss space."},
    )
    ideal_margin: float = field(
        default=0.1,
        metadata={"help": "Margin subtracted from the tracked minimum of each loss."},
    )
    dim_names: list[str] | None = field(
        default=None,
        metadata={"help": "Expected dimension names (checked against the objective)."},
    )
    log_dynamics: bool = field(
        default=False,
        metadata={"help": "Log adapter norms, gradient norms and the λ-sensitivity probe."},
    )
    probe_rows: int = field(
        default=8,
        metadata={"help": "Rows in the dynamics probe batch."},
    )
    eval_preference_partitions: int = field(
        default=2,
        metadata={"help": "Partitions of the λ grid evaluation runs at (preference_grid)."},
    )
    precompute_ref_log_probs: bool = field(
        default=False,
        metadata={"help": "Score the DPO pairs under the reference once, before training."},
    )
    precompute_ref_batch_size: int | None = field(
        default=None,
        metadata={"help": "Pairs per reference forward of the precomputation."},
    )
    remove_unused_columns: bool = field(
        default=False,
        metadata={"help": "Must stay False: the trainer's rows are not model inputs."},
    )
    train_sampling_strategy: str = field(
        default="sequential",
        metadata={"help": "Must stay 'sequential': rows are global stream positions."},
    )
    ddp_find_unused_parameters: bool | None = field(
        default=False,
        metadata={"help": "Every adapter parameter takes part in every forward."},
    )

    def __post_init__(self) -> None:
        self._validate_mdpo_fields()
        super().__post_init__()
        self._check_report_to()

    def _check_report_to(self) -> None:
        """Refuse a ``report_to`` integration whose package is missing, before training."""
        from transformers.integrations import (
            INTEGRATION_TO_CALLBACK,
            get_available_reporting_integrations,
        )

        asked = self.report_to if isinstance(self.report_to, list) else [self.report_to]
        available = get_available_reporting_integrations()
        missing = [
            name for name in asked if name in INTEGRATION_TO_CALLBACK and name not in available
        ]
        if missing:
            installed = ", ".join(available) or "none installed"
            raise ValueError(
                f"report_to names {', '.join(repr(n) for n in missing)}, whose package is not "
                f"installed (pip install {' '.join(missing)}); installed integrations: "
                f"{installed}; or use report_to: none"
            )

    def _validate_mdpo_fields(self) -> None:
        if self.preference_sampling not in PREFERENCE_SAMPLING_MODES:
            raise ValueError(
                f"preference_sampling must be one of {PREFERENCE_SAMPLING_MODES}, "
                f"got {self.preference_sampling!r}"
            )
        self.vertex_prob = check_real("vertex_prob", self.vertex_prob, low=0.0, high=1.0)
        self.ideal_margin = check_real("ideal_margin", self.ideal_margin, low=0.0)
        self.learning_rate = check_real("learning_rate", self.learning_rate, low=0.0)
        self.weight_decay = check_real("weight_decay", self.weight_decay, low=0.0)
        self.max_grad_norm = check_real("max_grad_norm", self.max_grad_norm, low=0.0)
        if not isinstance(self.log_dynamics, bool):
            raise TypeError(
                f"log_dynamics must be a bool, got {type(self.log_dynamics).__name__} "
                f"{self.log_dynamics!r}"
            )
        if isinstance(self.probe_rows, bool) or not isinstance(self.probe_rows, int):
            raise TypeError(
                f"probe_rows must be an int >= 1, got {type(self.probe_rows).__name__} "
                f"{self.probe_rows!r}"
            )
        if self.probe_rows < 1:
            raise ValueError(f"probe_rows must be an int >= 1, got {self.probe_rows!r}")
        if not isinstance(self.precompute_ref_log_probs, bool):
            raise TypeError(
                "precompute_ref_log_probs must be a bool, got "
                f"{type(self.precompute_ref_log_probs).__name__} {self.precompute_ref_log_probs!r}"
            )
        size = self.precompute_ref_batch_size
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
            raise ValueError(f"precompute_ref_batch_size must be None or an int >= 1, got {size!r}")
        partitions = self.eval_preference_partitions
        if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
            raise ValueError(f"eval_preference_partitions must be an int >= 1, got {partitions!r}")
        if self.fixed_preference is not None:
            self.fixed_preference = _float_list("fixed_preference", self.fixed_preference)
            from mdpo.preferences import check_preference

            check_preference(
                self.fixed_preference, len(self.fixed_preference), name="fixed_preference"
            )
        if not isinstance(self.aggregator, str) or not self.aggregator:
            raise TypeError(
                f"aggregator must be a non-empty str naming an aggregator (e.g. 'ls', 'tche'), "
                f"got {type(self.aggregator).__name__} {self.aggregator!r}"
            )
        if self.aggregator_kwargs is None:
            self.aggregator_kwargs = {}
        if not isinstance(self.aggregator_kwargs, dict) or not all(
            isinstance(k, str) for k in self.aggregator_kwargs
        ):
            raise TypeError(
                "aggregator_kwargs must be a dict with str keys, "
                f"got {type(self.aggregator_kwargs).__name__} {self.aggregator_kwargs!r}"
            )
        if isinstance(self.ideal, str):
            if self.ideal != "track":
                raise ValueError(
                    f"ideal must be 'track' or a list of floats (an ideal point in loss space), "
                    f"got {self.ideal!r}"
                )
        else:
            self.ideal = _float_list("ideal", self.ideal)
        if self.dim_names is not None:
            if (
                not isinstance(self.dim_names, list | tuple)
                or not self.dim_names
                or not all(isinstance(n, str) and n for n in self.dim_names)
            ):
                raise TypeError(
                    f"dim_names must be a non-empty list of non-empty str, got {self.dim_names!r}"
                )
            if len(set(self.dim_names)) != len(self.dim_names):
                raise ValueError(f"dim_names must be unique, got {list(self.dim_names)!r}")
            self.dim_names = list(self.dim_names)
        m = {
            name: len(value)
            for name, value in (
                ("fixed_preference", self.fixed_preference),
                ("ideal", None if isinstance(self.ideal, str) else self.ideal),
                ("dim_names", self.dim_names),
            )
            if value is not None
        }
        if len(set(m.values())) > 1:
            raise ValueError(
                f"fixed_preference, ideal and dim_names must agree on m, got lengths {m}"
            )
        if self.remove_unused_columns:
            raise ValueError(
                "remove_unused_columns must be False for MDPOTrainer, got True: the trainer feeds "
                "global row indices and the objectives read dimension columns (labels, "
                "prompts, responses) that the model's forward does not take, so Trainer would "
                "drop them"
            )
        if self.train_sampling_strategy != "sequential":
            raise ValueError(
                "train_sampling_strategy must be 'sequential' for MDPOTrainer (rows are global "
                "stream positions; the objectives draw their examples from them), "
                f"got {self.train_sampling_strategy!r}"
            )


def _float_list(name: str, value: Any) -> list[float]:
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
        raise TypeError(f"{name} must be a list of floats, got {type(value).__name__} {value!r}")
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ValueError(f"{name} must be a list of finite floats, got {list(value)!r}")
        out.append(float(v))
    if not out:
        raise ValueError(f"{name} must not be empty, got {list(value)!r}")
    return out
